package dev.arbiter.job.simulate;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.OutcomeEvent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificRecord;

/**
 * Replays a scenario's traffic at a target event rate: its definition starts now, its windows are
 * sized so that {@code rate} events per second of wall-clock time fill them (event time runs
 * {@code speedup} times faster than the clock), a share of outcomes is held back and delivered
 * late (as serving logs that resolve a conversation minutes after it ended do), and a
 * {@link Pacer} spaces the events.
 */
public final class LoadGenerator {

  /** Where the events go: Kafka or a JSON Lines file. */
  public interface Sink {
    void registry(ExperimentDefinition definition) throws Exception;

    void event(SpecificRecord event) throws Exception;
  }

  /** Progress callbacks, e.g. a progress bar. */
  public interface Progress {
    void update(long events, double elapsedSeconds);
  }

  /** Settings of one run. */
  public record Settings(double rate, long durationMs, int speedup, long seed, double lateOutcomeShare, long outcomeDelayMs,
      boolean paced) {}

  /** What a run did. */
  public record Result(long events, long lateOutcomes, double seconds, int windows, int conversationsPerWindow) {
    public double rate() {
      return seconds > 0 ? events / seconds : 0;
    }
  }

  private final Scenarios.Scenario scenario;
  private final Settings settings;
  private final Pacer.Clock clock;

  public LoadGenerator(Scenarios.Scenario scenario, Settings settings, Pacer.Clock clock) {
    this.scenario = scenario;
    this.settings = settings;
    this.clock = clock;
  }

  /** The scenario's definition, starting at the window that holds {@code now}. */
  public ExperimentDefinition definition(long now) {
    ExperimentDefinition base = scenario.definition();
    return ExperimentDefinition.newBuilder(base).setStartTime(now - Math.floorMod(now, base.getWindowMs())).build();
  }

  /** Events per conversation: 1 to 4 turns (2.5 on average), one outcome, and judge scores for a share of turns. */
  double eventsPerConversation() {
    return 2.5 * (1 + scenario.judgeShare()) + 1;
  }

  public Result run(long now, Sink sink, Progress progress) throws Exception {
    long eventSpanMs = settings.durationMs() * settings.speedup();
    // Paced, event time keeps up with the clock; unpaced, the whole span lies in the past, because
    // brokers refuse record timestamps far in the future (log.message.timestamp.after.max.ms).
    ExperimentDefinition definition = definition(settings.paced() ? now : now - eventSpanMs);
    long windowMs = definition.getWindowMs();
    int windows = (int) Math.max(1, (eventSpanMs + windowMs - 1) / windowMs);
    int conversations = (int) Math.max(1,
        Math.round(settings.rate() * windowMs / 1000.0 / settings.speedup() / eventsPerConversation()));
    SupportBotTraffic traffic = new SupportBotTraffic(definition, settings.seed(), windows, w -> conversations,
        scenario.effects(), scenario.judgeShare(), 120_000);
    sink.registry(definition);

    SplittableRandom random = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
    Deque<OutcomeEvent> held = new ArrayDeque<>();
    Pacer pacer = settings.paced() ? new Pacer(settings.rate(), (int) Math.max(1, settings.rate() / 10), clock) : null;
    long start = clock.nanoTime();
    long deadline = start + settings.durationMs() * 1_000_000L;
    long events = 0;
    long late = 0;
    long lastProgress = start;
    while (traffic.hasNext() && (!settings.paced() || clock.nanoTime() < deadline)) {
      SpecificRecord event = traffic.next();
      long eventTime = Events.eventTime(event);
      // Outcomes held back are released once the stream has moved past their delay, so they arrive out of order.
      while (!held.isEmpty() && held.peek().getEventTime() + settings.outcomeDelayMs() <= eventTime) {
        events += emit(pacer, sink, held.poll());
        late++;
      }
      if (event instanceof OutcomeEvent outcome && random.nextDouble() < settings.lateOutcomeShare()) {
        held.add(outcome);
        continue;
      }
      events += emit(pacer, sink, event);
      long nanos = clock.nanoTime();
      if (progress != null && nanos - lastProgress >= 250_000_000L) {
        lastProgress = nanos;
        progress.update(events, (nanos - start) / 1e9);
      }
    }
    while (!held.isEmpty()) {
      events += emit(pacer, sink, held.poll());
      late++;
    }
    double seconds = (clock.nanoTime() - start) / 1e9;
    if (progress != null) {
      progress.update(events, seconds);
    }
    return new Result(events, late, seconds, windows, conversations);
  }

  private static int emit(Pacer pacer, Sink sink, SpecificRecord event) throws Exception {
    if (pacer != null) {
      pacer.acquire();
    }
    sink.event(event);
    return 1;
  }
}
