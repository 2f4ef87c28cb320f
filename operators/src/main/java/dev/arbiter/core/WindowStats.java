package dev.arbiter.core;

import com.carrotsearch.hppc.LongHashSet;
import com.carrotsearch.hppc.cursors.LongCursor;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running aggregate of one window of one (experiment, variant, segment). Mergeable, so partial
 * aggregates can be combined; quantiles come from DDSketch with {@link #RELATIVE_ACCURACY}
 * relative error (see {@link SampleQuantiles}: a window of few turns keeps their values until a
 * quantile is asked for, and answers it from a sketch of them).
 */
public final class WindowStats {

  /** DDSketch guarantee: every reported quantile is within 1% of a true sample value. */
  public static final double RELATIVE_ACCURACY = SampleQuantiles.RELATIVE_ACCURACY;
  static final int EVIDENCE_SIZE = 5;
  /** 2: latency and TTFT values as {@link SampleQuantiles} (raw or sketch); 1: always sketches, still read. */
  private static final byte FORMAT_VERSION = 2;
  private static final byte SKETCHES_ONLY_VERSION = 1;

  private long windowStart;
  private long windowMs;
  private long allowedLatenessMs;
  private int definitionVersion;

  private long turns;
  private long errors;
  private long unsafe;
  private long emptyResponses;
  private long lateEvents;
  private long promptTokens;
  private long completionTokens;
  /** Sums in fixed point so that they do not depend on arrival order, and neither do decisions. */
  private long costNanoUsd;
  private long tpotSumMicros;
  private long tpotCount;
  /** Hashes of the window's distinct units: a primitive set, since boxing a Long per turn was a visible share of the job's CPU. */
  private final LongHashSet units;
  private final SampleQuantiles latency;
  private final SampleQuantiles ttft;
  private final SampleQuantiles warmLatency;
  private final SampleQuantiles coldLatency;
  private long feedbackGiven;
  private long feedbackPositive;
  private long flaggedAssignments;
  private long newUnits;
  private long outcomes;
  private long resolved;
  private long handoffs;
  /** Per unit-level metric: units, sum x, sum x^2, sum y, sum y^2, sum x*y (see WindowSummary.unit_moments). */
  private final java.util.TreeMap<String, double[]> unitMoments = new java.util.TreeMap<>();
  /** Per judge axis: fixed-point sum of scores (micro-units) and count. */
  private final java.util.TreeMap<String, long[]> judge = new java.util.TreeMap<>();
  /** The most telling turns first: flagged (error or unsafe), then slowest; ties by request id. */
  private final List<Evidence> evidence;

  /** A request id worth citing in a command. */
  public record Evidence(String requestId, boolean flagged, double latencyMs) {}

  /** Flagged first, then slowest, then by request id; written out because it runs once or more per turn. */
  static final Comparator<Evidence> MOST_TELLING_FIRST = WindowStats::compareTelling;

  private static int compareTelling(Evidence a, Evidence b) {
    if (a.flagged() != b.flagged()) {
      return a.flagged() ? -1 : 1;
    }
    int bySlowness = Double.compare(b.latencyMs(), a.latencyMs());
    return bySlowness != 0 ? bySlowness : a.requestId().compareTo(b.requestId());
  }

  public WindowStats(long windowStart, long windowMs, long allowedLatenessMs, int definitionVersion) {
    this(windowStart, windowMs, allowedLatenessMs, definitionVersion, new LongHashSet(), new SampleQuantiles(), new SampleQuantiles(),
        new SampleQuantiles(), new SampleQuantiles(), new ArrayList<>());
  }

  private WindowStats(long windowStart, long windowMs, long allowedLatenessMs, int definitionVersion,
      LongHashSet units, SampleQuantiles latency, SampleQuantiles ttft, SampleQuantiles warmLatency, SampleQuantiles coldLatency,
      List<Evidence> evidence) {
    this.windowStart = windowStart;
    this.windowMs = windowMs;
    this.allowedLatenessMs = allowedLatenessMs;
    this.definitionVersion = definitionVersion;
    this.units = units;
    this.latency = latency;
    this.ttft = ttft;
    this.warmLatency = warmLatency;
    this.coldLatency = coldLatency;
    this.evidence = evidence;
  }

  /** Adds one observation; {@code late} marks one that arrived after the window's end but within its lateness. */
  public void add(Observation observation, boolean late) {
    if (observation.kind == Observation.FIRST_TURN_MOVED) {
      newUnits--;
      return;
    }
    if (late) {
      lateEvents++;
    }
    definitionVersion = Math.max(definitionVersion, observation.definitionVersion);
    switch (observation.kind) {
      case Observation.OUTCOME -> {
        outcomes++;
        if (observation.resolved) {
          resolved++;
        }
        if (observation.humanHandoff) {
          handoffs++;
        }
      }
      case Observation.JUDGE -> {
        for (int i = 0; i < observation.judgeAxes.length; i++) {
          long[] axis = judge.computeIfAbsent(observation.judgeAxes[i], k -> new long[2]);
          axis[0] += Math.round(observation.judgeScores[i] * 1e6);
          axis[1]++;
        }
      }
      case Observation.UNIT -> {
        addMoments(Metrics.COST_PER_UNIT_USD, observation.unitCost, 1);
        if (observation.unitTurns > 0) {
          addMoments(Metrics.COST_PER_TURN_USD, observation.unitCost, observation.unitTurns);
        }
        for (int i = 0; i < observation.judgeAxes.length; i++) {
          addMoments(Metrics.judgeMean(observation.judgeAxes[i]), observation.judgeScores[i], 1);
        }
      }
      default -> addTurn(observation);
    }
  }

  private void addMoments(String metric, double x, double y) {
    double[] m = unitMoments.computeIfAbsent(metric, k -> new double[6]);
    m[0] += 1;
    m[1] += x;
    m[2] += x * x;
    m[3] += y;
    m[4] += y * y;
    m[5] += x * y;
  }

  /** Unit-level sums per metric (see WindowSummary.unit_moments). */
  public Map<String, List<Double>> unitMoments() {
    Map<String, List<Double>> out = new LinkedHashMap<>();
    unitMoments.forEach((metric, m) -> out.put(metric, java.util.Arrays.stream(m).boxed().toList()));
    return out;
  }

  private void addTurn(Observation turn) {
    turns++;
    if (turn.assignmentMismatch || turn.leaked) {
      flaggedAssignments++;
    }
    if (turn.newUnit) {
      newUnits++;
    }
    if (turn.error) {
      errors++;
    }
    if (turn.unsafe) {
      unsafe++;
    }
    if (turn.emptyResponse) {
      emptyResponses++;
    }
    promptTokens += turn.promptTokens;
    completionTokens += turn.completionTokens;
    costNanoUsd += Math.round(turn.costUsd * 1e9);
    units.add(turn.unitHash);
    latency.accept(turn.latencyMs);
    if (turn.cacheState == Observation.WARM) {
      warmLatency.accept(turn.latencyMs);
    } else if (turn.cacheState == Observation.COLD) {
      coldLatency.accept(turn.latencyMs);
    }
    if (turn.userFeedback != Observation.NO_FEEDBACK) {
      feedbackGiven++;
      if (turn.userFeedback > 0) {
        feedbackPositive++;
      }
    }
    if (!Double.isNaN(turn.ttftMs)) {
      ttft.accept(turn.ttftMs);
    }
    if (!Double.isNaN(turn.tpotMs)) {
      tpotSumMicros += Math.round(turn.tpotMs * 1e3);
      tpotCount++;
    }
    offerEvidence(new Evidence(turn.requestId, turn.error || turn.unsafe, turn.latencyMs));
  }

  private void offerEvidence(Evidence candidate) {
    if (evidence.size() == EVIDENCE_SIZE
        && MOST_TELLING_FIRST.compare(candidate, evidence.get(EVIDENCE_SIZE - 1)) >= 0) {
      return;
    }
    int at = 0;
    while (at < evidence.size() && MOST_TELLING_FIRST.compare(evidence.get(at), candidate) < 0) {
      at++;
    }
    if (at < evidence.size() && evidence.get(at).requestId().equals(candidate.requestId())) {
      return;
    }
    evidence.add(at, candidate);
    if (evidence.size() > EVIDENCE_SIZE) {
      evidence.remove(EVIDENCE_SIZE);
    }
  }

  /** Folds another partial aggregate of the same window into this one. */
  public void merge(WindowStats other) {
    turns += other.turns;
    errors += other.errors;
    unsafe += other.unsafe;
    emptyResponses += other.emptyResponses;
    lateEvents += other.lateEvents;
    promptTokens += other.promptTokens;
    completionTokens += other.completionTokens;
    costNanoUsd += other.costNanoUsd;
    tpotSumMicros += other.tpotSumMicros;
    tpotCount += other.tpotCount;
    units.addAll(other.units);
    latency.mergeWith(other.latency);
    ttft.mergeWith(other.ttft);
    warmLatency.mergeWith(other.warmLatency);
    coldLatency.mergeWith(other.coldLatency);
    feedbackGiven += other.feedbackGiven;
    feedbackPositive += other.feedbackPositive;
    flaggedAssignments += other.flaggedAssignments;
    newUnits += other.newUnits;
    outcomes += other.outcomes;
    resolved += other.resolved;
    handoffs += other.handoffs;
    other.unitMoments.forEach((metric, m) -> {
      double[] mine = unitMoments.computeIfAbsent(metric, k -> new double[6]);
      for (int i = 0; i < 6; i++) {
        mine[i] += m[i];
      }
    });
    other.judge.forEach((axis, sums) -> {
      long[] mine = judge.computeIfAbsent(axis, k -> new long[2]);
      mine[0] += sums[0];
      mine[1] += sums[1];
    });
    definitionVersion = Math.max(definitionVersion, other.definitionVersion);
    for (Evidence e : other.evidence) {
      offerEvidence(e);
    }
  }

  /** Rule-addressable metric values; a metric without data is absent rather than zero. */
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (outcomes > 0) {
      metrics.put(Metrics.RESOLUTION_RATE, resolved / (double) outcomes);
      metrics.put(Metrics.HANDOFF_RATE, handoffs / (double) outcomes);
    }
    judge.forEach((axis, sums) -> metrics.put(Metrics.judgeMean(axis), sums[0] / 1e6 / sums[1]));
    if (turns == 0) {
      return metrics;
    }
    metrics.put(Metrics.ASSIGNMENT_MISMATCH_RATE, flaggedAssignments / (double) turns);
    metrics.put(Metrics.ERROR_RATE, errors / (double) turns);
    metrics.put(Metrics.SAFETY_PASS_RATE, 1.0 - unsafe / (double) turns);
    metrics.put(Metrics.EMPTY_RESPONSE_RATE, emptyResponses / (double) turns);
    metrics.put(Metrics.COST_PER_TURN_USD, costUsd() / turns);
    metrics.put(Metrics.COST_PER_UNIT_USD, costUsd() / units.size());
    metrics.put(Metrics.TOKENS_PER_TURN, (promptTokens + completionTokens) / (double) turns);
    double[] latencyQuantiles = latency.getValuesAtQuantiles(new double[] {0.5, 0.95, 0.99});
    metrics.put(Metrics.LATENCY_P50_MS, latencyQuantiles[0]);
    metrics.put(Metrics.LATENCY_P95_MS, latencyQuantiles[1]);
    metrics.put(Metrics.LATENCY_P99_MS, latencyQuantiles[2]);
    if (!ttft.isEmpty()) {
      double[] ttftQuantiles = ttft.getValuesAtQuantiles(new double[] {0.5, 0.95, 0.99});
      metrics.put(Metrics.TTFT_P50_MS, ttftQuantiles[0]);
      metrics.put(Metrics.TTFT_P95_MS, ttftQuantiles[1]);
      metrics.put(Metrics.TTFT_P99_MS, ttftQuantiles[2]);
    }
    if (tpotCount > 0) {
      metrics.put(Metrics.TPOT_MEAN_MS, tpotSumMicros / 1e3 / tpotCount);
    }
    if (feedbackGiven > 0) {
      metrics.put(Metrics.FEEDBACK_POSITIVE_RATE, feedbackPositive / (double) feedbackGiven);
    }
    putQuantiles(metrics, warmLatency, Metrics.WARM);
    putQuantiles(metrics, coldLatency, Metrics.COLD);
    return metrics;
  }

  private static void putQuantiles(Map<String, Double> metrics, SampleQuantiles values, String suffix) {
    if (values.isEmpty()) {
      return;
    }
    double[] q = values.getValuesAtQuantiles(new double[] {0.5, 0.95, 0.99});
    metrics.put(Metrics.LATENCY_P50_MS + suffix, q[0]);
    metrics.put(Metrics.LATENCY_P95_MS + suffix, q[1]);
    metrics.put(Metrics.LATENCY_P99_MS + suffix, q[2]);
  }

  /** Sample counts of the metrics that do not count turns (see WindowSummary.samples). */
  public Map<String, Long> samples() {
    Map<String, Long> samples = new LinkedHashMap<>();
    if (outcomes > 0) {
      samples.put(Metrics.RESOLUTION_RATE, outcomes);
      samples.put(Metrics.HANDOFF_RATE, outcomes);
    }
    judge.forEach((axis, sums) -> samples.put(Metrics.judgeMean(axis), sums[1]));
    if (turns == 0) {
      return samples;
    }
    samples.put(Metrics.COST_PER_UNIT_USD, (long) units.size());
    samples.put(Metrics.FEEDBACK_POSITIVE_RATE, feedbackGiven);
    for (String q : List.of(Metrics.LATENCY_P50_MS, Metrics.LATENCY_P95_MS, Metrics.LATENCY_P99_MS)) {
      samples.put(q + Metrics.WARM, (long) warmLatency.getCount());
      samples.put(q + Metrics.COLD, (long) coldLatency.getCount());
    }
    return samples;
  }

  public double latencyQuantile(double q) {
    return latency.getValueAtQuantile(q);
  }

  public long windowStart() {
    return windowStart;
  }

  public long windowEnd() {
    return windowStart + windowMs;
  }

  public long windowMs() {
    return windowMs;
  }

  public long closeTime() {
    return WindowBounds.closeTime(windowStart, windowMs, allowedLatenessMs);
  }

  public int definitionVersion() {
    return definitionVersion;
  }

  public long turns() {
    return turns;
  }

  public long newUnits() {
    return newUnits;
  }

  public long outcomes() {
    return outcomes;
  }

  public long units() {
    return units.size();
  }

  public long errors() {
    return errors;
  }

  public long unsafe() {
    return unsafe;
  }

  public long emptyResponses() {
    return emptyResponses;
  }

  public long lateEvents() {
    return lateEvents;
  }

  public long promptTokens() {
    return promptTokens;
  }

  public long completionTokens() {
    return completionTokens;
  }

  public double costUsd() {
    return costNanoUsd / 1e9;
  }

  /**
   * Rough heap footprint, for {@link RecentWindows}' budget: measured 1.4 KB for a window of 8
   * turns, 12 KB with 300 distinct units and 42 KB with 3,000 (`WindowStats` built in a loop, heap
   * after a GC); this estimate stays within a quarter of those.
   */
  public long estimatedHeapBytes() {
    return 400 + 8L * units.keys.length + latency.estimatedHeapBytes() + ttft.estimatedHeapBytes()
        + warmLatency.estimatedHeapBytes() + coldLatency.estimatedHeapBytes() + 100L * evidence.size()
        + 120L * (unitMoments.size() + judge.size());
  }

  public List<String> evidenceRequestIds() {
    return evidence.stream().map(Evidence::requestId).toList();
  }

  /** A versioned binary form for Flink state and checkpoints. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(FORMAT_VERSION);
    out.writeLong(windowStart);
    out.writeLong(windowMs);
    out.writeLong(allowedLatenessMs);
    out.writeInt(definitionVersion);
    out.writeLong(turns);
    out.writeLong(errors);
    out.writeLong(unsafe);
    out.writeLong(emptyResponses);
    out.writeLong(lateEvents);
    out.writeLong(promptTokens);
    out.writeLong(completionTokens);
    out.writeLong(costNanoUsd);
    out.writeLong(tpotSumMicros);
    out.writeLong(tpotCount);
    out.writeInt(units.size());
    for (LongCursor unit : units) {
      out.writeLong(unit.value);
    }
    latency.writeTo(out);
    ttft.writeTo(out);
    warmLatency.writeTo(out);
    coldLatency.writeTo(out);
    out.writeLong(feedbackGiven);
    out.writeLong(feedbackPositive);
    out.writeLong(flaggedAssignments);
    out.writeLong(newUnits);
    out.writeLong(outcomes);
    out.writeLong(resolved);
    out.writeLong(handoffs);
    out.writeInt(unitMoments.size());
    for (Map.Entry<String, double[]> m : unitMoments.entrySet()) {
      out.writeUTF(m.getKey());
      for (double v : m.getValue()) {
        out.writeDouble(v);
      }
    }
    out.writeInt(judge.size());
    for (Map.Entry<String, long[]> axis : judge.entrySet()) {
      out.writeUTF(axis.getKey());
      out.writeLong(axis.getValue()[0]);
      out.writeLong(axis.getValue()[1]);
    }
    out.writeByte(evidence.size());
    for (Evidence e : evidence) {
      out.writeUTF(e.requestId());
      out.writeBoolean(e.flagged());
      out.writeDouble(e.latencyMs());
    }
  }

  public static WindowStats readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != FORMAT_VERSION && version != SKETCHES_ONLY_VERSION) {
      throw new IOException("unknown WindowStats format version " + version);
    }
    long windowStart = in.readLong();
    long windowMs = in.readLong();
    long allowedLatenessMs = in.readLong();
    int definitionVersion = in.readInt();
    long turns = in.readLong();
    long errors = in.readLong();
    long unsafe = in.readLong();
    long empty = in.readLong();
    long late = in.readLong();
    long promptTokens = in.readLong();
    long completionTokens = in.readLong();
    long costNanoUsd = in.readLong();
    long tpotSumMicros = in.readLong();
    long tpotCount = in.readLong();
    int unitCount = in.readInt();
    LongHashSet units = new LongHashSet(unitCount);
    for (int i = 0; i < unitCount; i++) {
      units.add(in.readLong());
    }
    SampleQuantiles latency = readQuantiles(in, version);
    SampleQuantiles ttft = readQuantiles(in, version);
    SampleQuantiles warm = readQuantiles(in, version);
    SampleQuantiles cold = readQuantiles(in, version);
    long feedbackGiven = in.readLong();
    long feedbackPositive = in.readLong();
    long flaggedAssignments = in.readLong();
    long newUnits = in.readLong();
    long outcomes = in.readLong();
    long resolved = in.readLong();
    long handoffs = in.readLong();
    int momentCount = in.readInt();
    java.util.TreeMap<String, double[]> moments = new java.util.TreeMap<>();
    for (int i = 0; i < momentCount; i++) {
      String metric = in.readUTF();
      double[] m = new double[6];
      for (int j = 0; j < 6; j++) {
        m[j] = in.readDouble();
      }
      moments.put(metric, m);
    }
    int axes = in.readInt();
    java.util.TreeMap<String, long[]> judge = new java.util.TreeMap<>();
    for (int i = 0; i < axes; i++) {
      judge.put(in.readUTF(), new long[] {in.readLong(), in.readLong()});
    }
    int evidenceCount = in.readByte();
    List<Evidence> evidence = new ArrayList<>(evidenceCount);
    for (int i = 0; i < evidenceCount; i++) {
      evidence.add(new Evidence(in.readUTF(), in.readBoolean(), in.readDouble()));
    }
    WindowStats stats = new WindowStats(windowStart, windowMs, allowedLatenessMs, definitionVersion, units, latency, ttft,
        warm, cold, evidence);
    stats.feedbackGiven = feedbackGiven;
    stats.feedbackPositive = feedbackPositive;
    stats.flaggedAssignments = flaggedAssignments;
    stats.newUnits = newUnits;
    stats.outcomes = outcomes;
    stats.resolved = resolved;
    stats.handoffs = handoffs;
    stats.judge.putAll(judge);
    stats.unitMoments.putAll(moments);
    stats.turns = turns;
    stats.errors = errors;
    stats.unsafe = unsafe;
    stats.emptyResponses = empty;
    stats.lateEvents = late;
    stats.promptTokens = promptTokens;
    stats.completionTokens = completionTokens;
    stats.costNanoUsd = costNanoUsd;
    stats.tpotSumMicros = tpotSumMicros;
    stats.tpotCount = tpotCount;
    return stats;
  }

  private static SampleQuantiles readQuantiles(DataInput in, byte version) throws IOException {
    return version == SKETCHES_ONLY_VERSION ? SampleQuantiles.readSketchOnly(in) : SampleQuantiles.readFrom(in);
  }
}
