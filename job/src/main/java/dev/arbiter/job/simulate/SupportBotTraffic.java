package dev.arbiter.job.simulate;

import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.core.Assignment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.apache.avro.specific.SpecificRecord;

/**
 * Seeded support-bot traffic for one experiment: conversations of one to four turns, assigned by
 * {@link Assignment}, with lognormal latencies (slower on cold replicas), rare errors and unsafe
 * answers, an outcome when each conversation ends, and optionally LLM-judge scores that arrive
 * some time after their turn. {@link Effect}s are injected per variant and window.
 * The iterator yields records in event-time order; the same seed yields the same records.
 */
public final class SupportBotTraffic implements Iterator<SpecificRecord> {

  /** Baseline behaviour of the bot; effects are layered on top. */
  public static final double MEDIAN_LATENCY_MS = 1_200;
  public static final double LATENCY_SIGMA = 0.35;
  public static final double COLD_FACTOR = 1.5;
  public static final double COLD_SHARE = 0.10;
  public static final double ERROR_RATE = 0.0002;
  public static final double UNSAFE_RATE = 0.0005;
  public static final double RESOLUTION_RATE = 0.60;

  private final ExperimentDefinition definition;
  private final SplittableRandom random;
  private final int windows;
  private final IntUnaryOperator conversationsInWindow;
  private final List<Effect> effects;
  private final double judgeShare;
  private final long judgeDelayMs;
  private final PriorityQueue<Timed> queue = new PriorityQueue<>();
  private int nextWindow;
  private long sequence;

  private record Timed(long time, long sequence, SpecificRecord record) implements Comparable<Timed> {
    @Override
    public int compareTo(Timed other) {
      int byTime = Long.compare(time, other.time);
      return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }
  }

  /**
   * @param conversationsInWindow conversations (both arms) starting in window i
   */
  public SupportBotTraffic(ExperimentDefinition definition, long seed, int windows,
      IntUnaryOperator conversationsInWindow, List<? extends Effect> effects) {
    this(definition, seed, windows, conversationsInWindow, effects, 0, 0);
  }

  /**
   * @param judgeShare share of turns that an LLM judge scores (helpfulness and accuracy, 1 to 5)
   * @param judgeDelayMs how long after its turn a score is produced
   */
  public SupportBotTraffic(ExperimentDefinition definition, long seed, int windows,
      IntUnaryOperator conversationsInWindow, List<? extends Effect> effects, double judgeShare, long judgeDelayMs) {
    this.definition = definition;
    this.random = new SplittableRandom(seed);
    this.windows = windows;
    this.conversationsInWindow = conversationsInWindow;
    this.effects = List.copyOf(effects);
    this.judgeShare = judgeShare;
    this.judgeDelayMs = judgeDelayMs;
  }

  /** Event time at which window {@code index} of the experiment starts (windows aligned to the epoch). */
  public long windowStart(int index) {
    long first = definition.getStartTime() - Math.floorMod(definition.getStartTime(), definition.getWindowMs());
    if (first < definition.getStartTime()) {
      first += definition.getWindowMs();
    }
    return first + index * definition.getWindowMs();
  }

  @Override
  public boolean hasNext() {
    fill();
    return !queue.isEmpty();
  }

  @Override
  public SpecificRecord next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return queue.poll().record();
  }

  /** Generates windows until the earliest queued record can no longer be preceded by a new one. */
  private void fill() {
    while (nextWindow < windows && (queue.isEmpty() || queue.peek().time() >= windowStart(nextWindow))) {
      generateWindow(nextWindow++);
    }
  }

  private void generateWindow(int index) {
    long start = windowStart(index);
    long windowMs = definition.getWindowMs();
    int conversations = conversationsInWindow.applyAsInt(index);
    List<Double> shares = new ArrayList<>();
    for (VariantShare v : definition.getVariants()) {
      shares.add(v.getShare());
    }
    for (int c = 0; c < conversations; c++) {
      String unit = "conv-" + index + "-" + c + "-" + Long.toHexString(random.nextLong() & 0xffffffL);
      String variant = definition.getVariants().get(Assignment.variantIndex(definition.getAssignmentSalt(), unit, shares)).getId();
      for (Effect effect : effects) {
        if (effect instanceof Effect.RoutingBug bug && bug.activeIn(index) && variant.equals(definition.getControlVariant())
            && random.nextDouble() < bug.fraction()) {
          variant = bug.treatment();
        }
      }
      boolean leaks = false;
      for (Effect effect : effects) {
        if (effect instanceof Effect.Leak leak && leak.activeIn(index) && random.nextDouble() < leak.fraction()) {
          leaks = true;
        }
      }
      String device = random.nextDouble() < 0.6 ? "mobile" : "desktop";
      long time = start + (long) (random.nextDouble() * windowMs);
      int turns = 1 + random.nextInt(4);
      for (int t = 1; t <= turns; t++) {
        int window = (int) ((time - windowStart(0)) / windowMs);
        String served = leaks && t > 1 ? otherVariant(variant) : variant;
        TurnEvent turn = turn(unit, served, device, t, time, window);
        queue.add(new Timed(time, sequence++, turn));
        if (judgeShare > 0 && random.nextDouble() < judgeShare) {
          long judged = time + judgeDelayMs;
          queue.add(new Timed(judged, sequence++, judge(turn, judged, window)));
        }
        time += 3_000 + (long) (random.nextDouble() * 12_000);
      }
      double resolution = RESOLUTION_RATE;
      for (Effect effect : effects) {
        if (effect instanceof Effect.ResolutionShift shift && shift.activeIn(index) && matches(shift.variant(), variant)) {
          resolution += shift.delta();
        }
      }
      boolean resolved = random.nextDouble() < resolution;
      queue.add(new Timed(time, sequence++, OutcomeEvent.newBuilder()
          .setExperimentId(definition.getExperimentId()).setVariantId(variant).setUnitId(unit).setEventTime(time)
          .setResolved(resolved).setHumanHandoff(!resolved).build()));
    }
  }

  private String otherVariant(String variant) {
    for (VariantShare v : definition.getVariants()) {
      if (!v.getId().equals(variant)) {
        return v.getId();
      }
    }
    return variant;
  }

  private JudgeScoreEvent judge(TurnEvent turn, long time, int window) {
    double shift = 0;
    for (Effect effect : effects) {
      if (effect instanceof Effect.JudgeDrop drop && drop.activeIn(window) && matches(drop.variant(), turn.getVariantId())) {
        shift += drop.delta();
      }
    }
    return JudgeScoreEvent.newBuilder()
        .setExperimentId(turn.getExperimentId())
        .setRequestId(turn.getRequestId())
        .setUnitId(turn.getUnitId())
        .setEventTime(time)
        .setJudgeModel("judge-large")
        .setRubricVersion("v1")
        .setScores(Map.of("helpfulness", score(4.2 + shift), "accuracy", score(4.0 + shift)))
        .build();
  }

  private double score(double mean) {
    return Math.max(1, Math.min(5, Math.round(mean + 0.7 * gaussian())));
  }

  private static boolean matches(String filter, String value) {
    return filter == null || filter.equals(value);
  }

  private TurnEvent turn(String unit, String variant, String device, int index, long time, int window) {
    boolean cold = random.nextDouble() < COLD_SHARE;
    double latency = MEDIAN_LATENCY_MS * Math.exp(LATENCY_SIGMA * gaussian()) * (cold ? COLD_FACTOR : 1.0);
    double unsafeRate = UNSAFE_RATE;
    double costFactor = 1;
    for (Effect effect : effects) {
      if (!effect.activeIn(window)) {
        continue;
      }
      if (effect instanceof Effect.LatencySpike spike && matches(spike.variant(), variant)
          && (spike.onlyCache() == null || spike.onlyCache() == (cold ? CacheState.cold : CacheState.warm))) {
        latency *= spike.factor();
      } else if (effect instanceof Effect.SafetyRegression regression && matches(regression.variant(), variant)
          && matches(regression.onlyDevice(), device)) {
        unsafeRate = regression.unsafeRate();
      } else if (effect instanceof Effect.CostChange change && matches(change.variant(), variant)) {
        costFactor *= change.factor();
      }
    }
    int promptTokens = 300 + random.nextInt(400);
    int completionTokens = 80 + random.nextInt(300);
    return TurnEvent.newBuilder()
        .setExperimentId(definition.getExperimentId())
        .setVariantId(variant)
        .setUnitId(unit)
        .setConversationId(unit)
        .setRequestId(unit + "-t" + index)
        .setTurnIndex(index)
        .setEventTime(time)
        .setSegments(Map.of("device", device))
        .setModelName("llama-4-scout")
        .setPromptVersion(variant.equals(definition.getControlVariant()) ? "v2.0" : "v2.1")
        .setLatencyMs(Math.round(latency))
        .setTtftMs((double) Math.round(latency * 0.2))
        .setPromptTokens(promptTokens)
        .setCompletionTokens(completionTokens)
        .setCostUsd((promptTokens * 0.15 + completionTokens * 0.6) / 1_000_000 * 10 * costFactor)
        .setError(random.nextDouble() < ERROR_RATE)
        .setEmptyResponse(false)
        .setSafetyFlag(random.nextDouble() < unsafeRate)
        .setCacheState(cold ? CacheState.cold : CacheState.warm)
        .build();
  }

  private double gaussian() {
    // Box-Muller on the seeded generator, so a seed fixes every latency.
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
