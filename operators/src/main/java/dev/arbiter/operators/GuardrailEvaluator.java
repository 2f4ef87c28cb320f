package dev.arbiter.operators;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.ClosedWindowIndex;
import dev.arbiter.core.Commands;
import dev.arbiter.core.ControlHistory;
import dev.arbiter.core.Metrics;
import dev.arbiter.core.RateTally;
import dev.arbiter.core.SampleRatioMonitor;
import dev.arbiter.core.SequentialMonitor;
import dev.arbiter.core.SimpsonGuard;
import dev.arbiter.core.ThompsonAllocation;
import dev.arbiter.avro.SecondaryRead;
import dev.arbiter.stats.Comparison;
import dev.arbiter.stats.MultipleComparisons;
import dev.arbiter.stats.TwoProportionTest;
import dev.arbiter.core.Segments;
import dev.arbiter.core.Guardrail;
import dev.arbiter.core.Streak;
import dev.arbiter.core.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.util.Collector;

/**
 * Applies an experiment's guardrail rules to its closed windows, keyed by experiment so control and
 * treatment windows meet. Summaries of one window reach this operator from several window subtasks;
 * each was emitted at the window's close time, so a timer at that time fires only after all of
 * them arrived. Windows are then judged in order, and each (rule, variant, segment) streak lives in
 * keyed state.
 *
 * <p>Run by {@link GuardrailEvaluatorOperator}, a summary waits for its timer on the heap and reaches
 * keyed state only when a checkpoint barrier comes first: its timer usually fires at the watermark
 * right behind it, so writing it to RocksDB and reading it back was most of this operator's work.
 * Run by the plain broadcast operator, every summary is written to state as it arrives.
 */
public class GuardrailEvaluator extends KeyedBroadcastProcessFunction<String, WindowSummary, ExperimentDefinition, ControlCommand> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GuardrailEvaluator.class);

  @VisibleForTesting
  static final MapStateDescriptor<String, WindowSummary> CLOSED =
      new MapStateDescriptor<>("closed-windows", Types.STRING, new AvroTypeInfo<>(WindowSummary.class));

  @VisibleForTesting
  static final MapStateDescriptor<String, Streak> STREAKS =
      new MapStateDescriptor<>("streaks", Types.STRING, TypeInformation.of(Streak.class));

  /** Per (rule, segment): the control's recent values, for thresholds derived from the control. */
  @VisibleForTesting
  static final MapStateDescriptor<String, ControlHistory> CONTROL_HISTORIES =
      new MapStateDescriptor<>("control-histories", Types.STRING, TypeInformation.of(ControlHistory.class));

  private transient MapState<String, WindowSummary> closed;
  private transient MapState<String, Streak> streaks;
  private transient MapState<String, ControlHistory> histories;
  private transient ValueState<SampleRatioMonitor> sampleRatio;
  private transient MapState<String, RateTally> tallies;
  private transient ValueState<SequentialMonitor> sequential;
  private transient Counters counters;
  /** Where the waiting summaries are, so a timer reads its own by key instead of scanning them all. */
  private transient ClosedWindowIndex waiting;
  /** Summaries not in {@link #closed} yet, by experiment and state key; null: each is written as it arrives. */
  private transient Map<String, Map<String, WindowSummary>> held;
  /** While {@link #held} is used: the state keys of each experiment's waiting summaries that are in {@link #closed}. */
  private transient Map<String, Set<String>> stored;

  @Override
  public void open(OpenContext openContext) {
    waiting = new ClosedWindowIndex();
    closed = getRuntimeContext().getMapState(CLOSED);
    streaks = getRuntimeContext().getMapState(STREAKS);
    histories = getRuntimeContext().getMapState(CONTROL_HISTORIES);
    sequential = getRuntimeContext().getState(new ValueStateDescriptor<>("sequential-monitor", TypeInformation.of(SequentialMonitor.class)));
    tallies = getRuntimeContext().getMapState(new MapStateDescriptor<>("rate-tallies", Types.STRING, TypeInformation.of(RateTally.class)));
    sampleRatio = getRuntimeContext().getState(new ValueStateDescriptor<>("sample-ratio", TypeInformation.of(SampleRatioMonitor.class)));
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(WindowSummary summary, ReadOnlyContext ctx, Collector<ControlCommand> out) throws Exception {
    long closeTime = ctx.timestamp() == null ? summary.getWindowEnd() - 1 : ctx.timestamp();
    String key = closeTime + "|" + summary.getWindowStart() + "|" + summary.getVariantId() + "|" + summary.getSegment();
    if (held == null) {
      closed.put(key, summary);
    } else {
      held.computeIfAbsent(ctx.getCurrentKey(), e -> new HashMap<>()).put(key, summary);
    }
    waiting.add(ctx.getCurrentKey(), closeTime, key);
    ctx.timerService().registerEventTimeTimer(closeTime);
  }

  /** From now on summaries wait on the heap until {@link #writeBack} or their timer. */
  void holdSummaries() {
    held = new HashMap<>();
    stored = new HashMap<>();
  }

  /** Writes every summary held on the heap to keyed state, switching {@code keys} to each experiment. */
  void writeBack(KeyContext keys) throws Exception {
    if (held == null) {
      return;
    }
    for (Map.Entry<String, Map<String, WindowSummary>> experiment : held.entrySet()) {
      keys.setCurrentKey(experiment.getKey());
      closed.putAll(experiment.getValue());
      stored.computeIfAbsent(experiment.getKey(), e -> new HashSet<>()).addAll(experiment.getValue().keySet());
    }
    held.clear();
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    // window start -> segment -> variant -> summary, in order so streaks advance window by window
    TreeMap<Long, TreeMap<String, Map<String, WindowSummary>>> ready = new TreeMap<>();
    String experiment = ctx.getCurrentKey();
    if (!waiting.knowsAll(experiment)) {
      // Summaries restored from a checkpoint are not in the index yet: read them all once.
      for (String key : closed.keys()) {
        waiting.add(experiment, Long.parseLong(key.substring(0, key.indexOf('|'))), key);
        if (stored != null) {
          stored.computeIfAbsent(experiment, e -> new HashSet<>()).add(key);
        }
      }
      waiting.markKnown(experiment);
    }
    Map<String, WindowSummary> heldHere = held == null ? null : held.get(experiment);
    Set<String> storedHere = stored == null ? null : stored.get(experiment);
    for (String key : waiting.takeUntil(experiment, timestamp)) {
      // A summary written back and then sent again (never seen, but possible) is on the heap and in state: the heap copy is the newer.
      WindowSummary s = heldHere == null ? null : heldHere.remove(key);
      if (held == null || (storedHere != null && storedHere.remove(key))) {
        if (s == null) {
          s = closed.get(key);
        }
        closed.remove(key);
      }
      if (s == null) {
        continue;
      }
      ready.computeIfAbsent(s.getWindowStart(), k -> new TreeMap<>())
          .computeIfAbsent(s.getSegment(), k -> new TreeMap<>())
          .put(s.getVariantId(), s);
    }
    if (heldHere != null && heldHere.isEmpty()) {
      held.remove(experiment);
    }
    if (storedHere != null && storedHere.isEmpty()) {
      stored.remove(experiment);
    }
    ExperimentDefinition definition = ctx.getBroadcastState(Outputs.REGISTRY).get(experiment);
    if (definition == null) {
      return;
    }
    for (TreeMap<String, Map<String, WindowSummary>> window : ready.values()) {
      judge(definition, window, ctx, out);
    }
  }

  private void judge(ExperimentDefinition definition, TreeMap<String, Map<String, WindowSummary>> window,
      OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    WindowSummary any = window.firstEntry().getValue().values().iterator().next();
    if (definition.getSrmCheck()) {
      checkSampleRatio(definition, window.get(Segments.ROLLUP), any, out);
    }
    if (definition.getPrimary() != null && Metrics.sequentiallyTestable(definition.getPrimary().getMetric())) {
      try {
        look(definition, window, any, ctx, out);
      } catch (IllegalArgumentException e) {
        // A statistic that cannot be computed (degenerate data) must not restart the job for every experiment.
        counters.counter("sequentialLookErrors").inc();
        LOG.warn("sequential look of {} skipped at window {}: {}", definition.getExperimentId(), any.getWindowStart(), e.getMessage());
      }
    }
    if (any.getWindowStart() < definition.getStartTime() + definition.getBurnInMs()) {
      counters.counter("windowsInBurnIn").inc();
      return;
    }
    for (GuardrailRule rule : definition.getGuardrails()) {
      Guardrail guardrail = new Guardrail(rule);
      for (Map.Entry<String, Map<String, WindowSummary>> segment : window.entrySet()) {
        if (guardrail.watches(segment.getKey())) {
          judgeSegment(definition, guardrail, segment.getKey(), segment.getValue(), ctx, out);
        }
      }
    }
  }

  /** Moves the (rule, level, variant, segment) streak by one conclusive verdict and emits what it says. */
  private void advance(ExperimentDefinition definition, Guardrail guardrail, Guardrail.Level level, String variant, String segment,
      WindowSummary treatment, WindowSummary control, WindowSummary any, Verdict verdict, OnTimerContext ctx,
      Collector<ControlCommand> out) throws Exception {
    GuardrailRule rule = guardrail.rule();
    String streakKey = rule.getId() + "|" + level.index() + "|" + variant + "|" + segment;
    Streak streak = streaks.get(streakKey);
    if (streak == null) {
      streak = new Streak();
    }
    Streak.Step step = streak.record(verdict.kind(), rule.getConsecutiveWindows(), rule.getRecoveryWindows());
    if (step != Streak.Step.NONE) {
      ControlCommand command = Commands.guardrail(definition, guardrail, level, treatment, control, verdict, step, streak.breaches);
      counters.command(command.getAction());
      out.collect(command);
    }
    ctx.output(Outputs.VERDICTS, Commands.verdict(definition, rule, level, variant, any, verdict, streak.breaches));
    if (streak.isIdle()) {
      streaks.remove(streakKey);
    } else {
      streaks.put(streakKey, streak);
    }
  }

  /** Non-inferiority rules read the cumulative counts since start, updated with this window first. */
  private void judgeNonInferiority(ExperimentDefinition definition, Guardrail guardrail, String segment,
      Map<String, WindowSummary> byVariant, WindowSummary control, OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    GuardrailRule rule = guardrail.rule();
    WindowSummary any = byVariant.values().iterator().next();
    RateTally controlTally = tally(rule.getId() + "|" + definition.getControlVariant() + "|" + segment, guardrail.rateCounts(control));
    Guardrail.Level level = guardrail.levels().get(0);
    for (VariantShare variant : definition.getVariants()) {
      if (variant.getId().equals(definition.getControlVariant())) {
        continue;
      }
      WindowSummary treatment = byVariant.get(variant.getId());
      RateTally treatmentTally = tally(rule.getId() + "|" + variant.getId() + "|" + segment, guardrail.rateCounts(treatment));
      Verdict verdict = guardrail.evaluateNonInferiority(treatmentTally, controlTally);
      if (verdict.kind() == Verdict.Kind.INCONCLUSIVE || treatment == null) {
        counters.inc("inconclusiveWindows", "reason", verdict.reason() == null ? "treatment_without_traffic" : verdict.reason());
        ctx.output(Outputs.VERDICTS, Commands.verdict(definition, rule, level, variant.getId(), any, verdict, 0));
        continue;
      }
      advance(definition, guardrail, level, variant.getId(), segment, treatment, control, any, verdict, ctx, out);
    }
  }

  private RateTally tally(String key, long[] windowCounts) throws Exception {
    RateTally tally = tallies.get(key);
    if (windowCounts == null) {
      return tally;
    }
    if (tally == null) {
      tally = new RateTally();
    }
    tally.add(windowCounts[0], windowCounts[1]);
    tallies.put(key, tally);
    return tally;
  }

  /** Feeds the window to the sequential monitor and emits the look it takes, if any. */
  private void look(ExperimentDefinition definition, TreeMap<String, Map<String, WindowSummary>> window, WindowSummary any,
      OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    String metric = definition.getPrimary().getMetric();
    Map<String, WindowSummary> rollup = window.getOrDefault(Segments.ROLLUP, Map.of());
    List<String> variants = new ArrayList<>();
    int arms = definition.getVariants().size();
    long[] units = new long[arms];
    long[] successes = new long[arms];
    double[][] moments = new double[arms][6];
    for (int i = 0; i < arms; i++) {
      String variant = definition.getVariants().get(i).getId();
      variants.add(variant);
      long[] counts = rateCounts(rollup.get(variant), metric);
      units[i] = counts[0];
      successes[i] = counts[1];
      List<Double> sums = rollup.get(variant) == null ? null : rollup.get(variant).getUnitMoments().get(metric);
      for (int k = 0; sums != null && k < 6; k++) {
        moments[i][k] = sums.get(k);
      }
    }
    updateReads(definition, window);
    SequentialMonitor monitor = sequential.value();
    if (monitor == null) {
      monitor = new SequentialMonitor();
    }
    SampleRatioMonitor srm = sampleRatio.value();
    boolean halted = srm != null && srm.halted;
    List<SequentialMonitor.Look> looks = Metrics.RATES.contains(metric)
        ? monitor.advance(definition.getPrimary(), variants, definition.getControlVariant(), units, successes, halted)
        : monitor.advanceUnitValues(definition.getPrimary(), variants, definition.getControlVariant(), moments, halted);
    sequential.update(monitor);
    for (SequentialMonitor.Look look : looks) {
      List<SecondaryRead> reads = reads(definition, look.variant());
      SimpsonGuard.Reading simpson = Metrics.RATES.contains(metric) ? simpson(definition, look) : null;
      counters.inc("looks", "outcome", look.outcome().name());
      ctx.output(Outputs.LOOKS, Commands.look(definition, look, any.getWindowEnd(), reads,
          simpson == null || Double.isNaN(simpson.mixPValue()) ? null : simpson.mixPValue(), simpson == null ? null : simpson.warning()));
      if (look.outcome() != SequentialMonitor.Outcome.CONTINUE && look.outcome() != SequentialMonitor.Outcome.EFFICACY_BLOCKED_BY_SRM) {
        ControlCommand stop = Commands.sequentialStop(definition, look, any.getWindowStart(), any.getWindowEnd(),
            simpson == null ? null : simpson.warning());
        counters.command(stop.getAction());
        out.collect(stop);
      }
    }
    if ("thompson".equals(definition.getAllocation()) && Metrics.RATES.contains(metric)) {
      // Seeded by experiment and window, so a replay sets the same shares.
      double[] shares = ThompsonAllocation.shares(monitor.successes, monitor.units, definition.getAllocationFloor(),
          definition.getExperimentId().hashCode() * 31L + any.getWindowStart());
      Map<String, Double> allocation = new java.util.LinkedHashMap<>();
      for (int i = 0; i < shares.length; i++) {
        allocation.put(variants.get(i), shares[i]);
      }
      ControlCommand allocationCommand = Commands.setAllocation(definition, allocation, any.getWindowStart(), any.getWindowEnd());
      counters.command(allocationCommand.getAction());
      out.collect(allocationCommand);
    }
  }

  private static long[] rateCounts(WindowSummary summary, String metric) {
    Double rate = summary == null ? null : summary.getMetrics().get(metric);
    if (rate == null) {
      return new long[2];
    }
    long trials = Metrics.samples(metric, summary);
    return new long[] {trials, Math.round(rate * trials)};
  }

  /** Cumulative counts behind the secondary metrics and the per-segment reads of the primary. */
  private void updateReads(ExperimentDefinition definition, TreeMap<String, Map<String, WindowSummary>> window) throws Exception {
    String primary = definition.getPrimary().getMetric();
    for (Map.Entry<String, Map<String, WindowSummary>> segment : window.entrySet()) {
      boolean rollup = segment.getKey().equals(Segments.ROLLUP);
      for (Map.Entry<String, WindowSummary> variant : segment.getValue().entrySet()) {
        // Per-segment reads of the primary are two-proportion tests: rate primaries only.
        List<String> metrics = rollup ? definition.getSecondaryMetrics() : Metrics.RATES.contains(primary) ? List.of(primary) : List.of();
        for (String metric : metrics) {
          long[] counts = rateCounts(variant.getValue(), metric);
          if (counts[0] > 0) {
            tally("read|" + metric + "|" + segment.getKey() + "|" + variant.getKey(), counts);
          }
        }
      }
    }
  }

  /** Secondary metrics and per-segment reads of one treatment, BH-adjusted together. */
  private List<SecondaryRead> reads(ExperimentDefinition definition, String treatment) throws Exception {
    List<String> names = new ArrayList<>();
    List<double[]> tests = new ArrayList<>();
    for (String metric : definition.getSecondaryMetrics()) {
      addRead(names, tests, metric, metric, Segments.ROLLUP, definition.getControlVariant(), treatment);
    }
    for (String key : segmentsSeen(definition.getPrimary().getMetric())) {
      addRead(names, tests, definition.getPrimary().getMetric() + "@" + key, definition.getPrimary().getMetric(), key,
          definition.getControlVariant(), treatment);
    }
    double[] pValues = tests.stream().mapToDouble(t -> t[1]).toArray();
    double[] adjusted = MultipleComparisons.benjaminiHochberg(pValues);
    List<SecondaryRead> reads = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      reads.add(new SecondaryRead(names.get(i), tests.get(i)[0], pValues[i], adjusted[i]));
    }
    return reads;
  }

  private void addRead(List<String> names, List<double[]> tests, String name, String metric, String segment, String control,
      String treatment) throws Exception {
    RateTally c = tallies.get("read|" + metric + "|" + segment + "|" + control);
    RateTally t = tallies.get("read|" + metric + "|" + segment + "|" + treatment);
    if (c == null || t == null || c.trials < 2 || t.trials < 2) {
      return;
    }
    Comparison comparison = TwoProportionTest.of(c.trials, c.successes, t.trials, t.successes);
    if (Double.isFinite(comparison.pValue())) {
      names.add(name);
      tests.add(new double[] {comparison.difference(), comparison.pValue()});
    }
  }

  /** The segments (other than the rollup) whose reads of a metric are tallied, sorted. */
  private List<String> segmentsSeen(String metric) throws Exception {
    java.util.TreeSet<String> segments = new java.util.TreeSet<>();
    String prefix = "read|" + metric + "|";
    for (String key : tallies.keys()) {
      if (key.startsWith(prefix)) {
        String rest = key.substring(prefix.length());
        String segment = rest.substring(0, rest.lastIndexOf('|'));
        if (!segment.equals(Segments.ROLLUP)) {
          segments.add(segment);
        }
      }
    }
    return new ArrayList<>(segments);
  }

  /** The Simpson's-paradox guard over the definition's segment attributes; the first warning wins. */
  private SimpsonGuard.Reading simpson(ExperimentDefinition definition, SequentialMonitor.Look look) throws Exception {
    String metric = definition.getPrimary().getMetric();
    SimpsonGuard.Reading first = null;
    List<String> segments = segmentsSeen(metric);
    for (String attribute : definition.getSegments()) {
      List<long[]> rows = new ArrayList<>();
      List<Double> effects = new ArrayList<>();
      for (String segment : segments) {
        if (!segment.startsWith(attribute + "=")) {
          continue;
        }
        RateTally c = tallies.get("read|" + metric + "|" + segment + "|" + definition.getControlVariant());
        RateTally t = tallies.get("read|" + metric + "|" + segment + "|" + look.variant());
        if (c == null || t == null || c.trials == 0 || t.trials == 0) {
          continue;
        }
        rows.add(new long[] {c.trials, t.trials});
        effects.add(t.successes / (double) t.trials - c.successes / (double) c.trials);
      }
      SimpsonGuard.Reading reading = SimpsonGuard.check(attribute, rows.toArray(new long[0][]),
          effects.stream().mapToDouble(Double::doubleValue).toArray(), look.comparison().difference());
      if (first == null || (first.warning() == null && reading.warning() != null)) {
        first = reading;
      }
    }
    return first;
  }

  private void checkSampleRatio(ExperimentDefinition definition, Map<String, WindowSummary> rollup, WindowSummary any,
      Collector<ControlCommand> out) throws Exception {
    if (rollup == null) {
      return;
    }
    int arms = definition.getVariants().size();
    long[] newUnits = new long[arms];
    double[] shares = new double[arms];
    for (int i = 0; i < arms; i++) {
      WindowSummary summary = rollup.get(definition.getVariants().get(i).getId());
      newUnits[i] = summary == null ? 0 : summary.getNewUnits();
      shares[i] = definition.getVariants().get(i).getShare();
    }
    SampleRatioMonitor monitor = sampleRatio.value();
    if (monitor == null) {
      monitor = new SampleRatioMonitor();
    }
    if (monitor.add(newUnits, shares, definition.getSrmAlpha())) {
      ControlCommand halt = Commands.srmHalt(definition, monitor, any.getWindowStart(), any.getWindowEnd());
      counters.command(halt.getAction());
      out.collect(halt);
    }
    sampleRatio.update(monitor);
  }

  private void judgeSegment(ExperimentDefinition definition, Guardrail guardrail, String segment,
      Map<String, WindowSummary> byVariant, OnTimerContext ctx, Collector<ControlCommand> out) throws Exception {
    WindowSummary any = byVariant.values().iterator().next();
    GuardrailRule rule = guardrail.rule();
    WindowSummary control = byVariant.get(definition.getControlVariant());
    if (guardrail.nonInferiority()) {
      judgeNonInferiority(definition, guardrail, segment, byVariant, control, ctx, out);
      return;
    }
    String historyKey = rule.getId() + "|" + segment;
    ControlHistory history = guardrail.baseline() == null ? null : histories.get(historyKey);
    for (Guardrail.Level level : guardrail.levels()) {
      double threshold = level.fixedThreshold() != null ? level.fixedThreshold()
          : history == null ? Double.NaN : history.threshold(guardrail.baseline());
      for (VariantShare variant : definition.getVariants()) {
        if (variant.getId().equals(definition.getControlVariant())) {
          continue;
        }
        WindowSummary treatment = byVariant.get(variant.getId());
        Verdict verdict = Double.isNaN(threshold)
            ? Verdict.inconclusive(threshold, 0, "baseline_warming_up")
            : guardrail.evaluate(treatment, control, threshold);
        if (verdict.kind() == Verdict.Kind.INCONCLUSIVE) {
          counters.inc("inconclusiveWindows", "reason", verdict.reason());
          ctx.output(Outputs.VERDICTS, Commands.verdict(definition, rule, level, variant.getId(), any, verdict, 0));
          continue;
        }
        String streakKey = rule.getId() + "|" + level.index() + "|" + variant.getId() + "|" + segment;
        advance(definition, guardrail, level, variant.getId(), segment, treatment, control, any, verdict, ctx, out);
      }
    }
    // The control's value joins the baseline only after this window was judged against the earlier ones.
    if (guardrail.baseline() != null && control != null
        && Metrics.samples(rule.getMetric(), control) >= rule.getMinSamples()
        && control.getMetrics().get(rule.getMetric()) != null) {
      if (history == null) {
        history = new ControlHistory();
      }
      history.add(control.getMetrics().get(rule.getMetric()), guardrail.baseline().getWindows());
      histories.put(historyKey, history);
    }
  }

  @Override
  public void processBroadcastElement(ExperimentDefinition definition, Context ctx, Collector<ControlCommand> out) throws Exception {
    Registry.accept(ctx.getBroadcastState(Outputs.REGISTRY), definition);
  }
}
