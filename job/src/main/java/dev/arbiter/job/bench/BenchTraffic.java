package dev.arbiter.job.bench;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.function.IntFunction;
import org.apache.avro.specific.SpecificRecord;

/**
 * The benchmark's input: K copies of the running example (each its own experiment id and salt)
 * with seeded support-bot traffic, merged into one stream in event-time order, so every window
 * holds thousands of (experiment, variant, segment) keys.
 */
final class BenchTraffic implements Iterator<SpecificRecord> {
  /** Turns per conversation (1 to 4, mean 2.5) plus its outcome. */
  static final double EVENTS_PER_CONVERSATION = 3.5;

  private final List<ExperimentDefinition> definitions = new ArrayList<>();
  private final PriorityQueue<Head> heads = new PriorityQueue<>();

  private record Head(long time, int experiment, SpecificRecord record, Iterator<SpecificRecord> rest) implements Comparable<Head> {
    @Override
    public int compareTo(Head other) {
      int byTime = Long.compare(time, other.time);
      return byTime != 0 ? byTime : Integer.compare(experiment, other.experiment);
    }
  }

  /**
   * @param events about how many events to generate in all
   * @param start event time of the first window
   */
  BenchTraffic(long events, int experiments, int windows, long start, long seed) {
    this(RunningExample.definition(start), experiments, windows,
        (int) Math.max(1, Math.round(events / (experiments * (double) windows * EVENTS_PER_CONVERSATION))), i -> List.of(), seed);
  }

  /**
   * @param template the definition every experiment copies (window size, rules, start)
   * @param conversations conversations per experiment and window
   * @param effects the effects injected into experiment i's traffic
   */
  BenchTraffic(ExperimentDefinition template, int experiments, int windows, int conversations,
      IntFunction<List<Effect>> effects, long seed) {
    for (int i = 0; i < experiments; i++) {
      String id = experimentId(i);
      ExperimentDefinition definition = ExperimentDefinition.newBuilder(template)
          .setExperimentId(id).setAssignmentSalt(id).build();
      definitions.add(definition);
      SupportBotTraffic traffic = new SupportBotTraffic(definition, seed + i, windows, w -> conversations, effects.apply(i));
      advance(i, traffic);
    }
  }

  static String experimentId(int index) {
    return String.format("bench-%05d", index);
  }

  List<ExperimentDefinition> definitions() {
    return definitions;
  }

  private void advance(int experiment, Iterator<SpecificRecord> traffic) {
    if (traffic.hasNext()) {
      SpecificRecord record = traffic.next();
      heads.add(new Head(Events.eventTime(record), experiment, record, traffic));
    }
  }

  @Override
  public boolean hasNext() {
    return !heads.isEmpty();
  }

  @Override
  public SpecificRecord next() {
    Head head = heads.poll();
    if (head == null) {
      throw new NoSuchElementException();
    }
    advance(head.experiment(), head.rest());
    return head.record();
  }
}
