package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.avro.WindowSummary;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuardrailEvaluatorTest {
  static final long WINDOW = 60_000;
  static final long LATENESS = 30_000;

  static ExperimentDefinition definition(Consumer<ExperimentDefinition.Builder> change) {
    ExperimentDefinition.Builder builder = ExperimentDefinition.newBuilder().setExperimentId("e").setVersion(3)
        .setControlVariant("control").setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", 0.5)))
        .setAssignmentSalt("e").setStartTime(0).setWindowMs(WINDOW).setAllowedLatenessMs(LATENESS)
        .setGuardrails(List.of(GuardrailRule.newBuilder().setId("latency").setMetric("latency_p95_ms").setDirection("max")
            .setThreshold(3000.0).setMinSamples(50).setConsecutiveWindows(2).setAction("PAUSE_EXPOSURE").build()));
    change.accept(builder);
    return builder.build();
  }

  static WindowSummary window(String variant, int index, double p95, long turns) {
    return WindowSummary.newBuilder().setExperimentId("e").setDefinitionVersion(3).setVariantId(variant).setSegment("*")
        .setWindowStart(index * WINDOW).setWindowEnd((index + 1) * WINDOW).setTurns(turns).setUnits(turns / 2).setErrors(0)
        .setUnsafe(0).setEmptyResponses(0).setCostUsd(0).setPromptTokens(0).setCompletionTokens(0)
        .setMetrics(Map.of("latency_p95_ms", p95)).setEvidenceRequestIds(List.of("req-" + index)).build();
  }

  static long close(int index) {
    return (index + 1) * WINDOW - 1 + LATENESS;
  }

  static KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> harness(
      ExperimentDefinition definition) throws Exception {
    var harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        new GuardrailEvaluator(), WindowSummary::getExperimentId, Types.STRING, Outputs.REGISTRY);
    harness.processBroadcastElement(definition, 0);
    // As in the job: the registry input never holds back event time once definitions are read.
    harness.processBroadcastWatermark(Long.MAX_VALUE);
    return harness;
  }

  /** Feeds both variants' summaries of each window, in the order the window operator emits them. */
  static void feed(KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> harness,
      double[] treatmentP95, long[] treatmentTurns) throws Exception {
    for (int i = 0; i < treatmentP95.length; i++) {
      harness.processElement(window("control", i, 2000, 200), close(i));
      harness.processElement(window("treatment", i, treatmentP95[i], treatmentTurns[i]), close(i));
      harness.processWatermark(close(i));
    }
  }

  /**
   * An unopened harness, so a test can restore it from a snapshot: the job's operator, which holds
   * waiting summaries on the heap, or the plain broadcast operator, which writes each.
   */
  static KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> unopened(boolean holding,
      boolean rocksDb) throws Exception {
    GuardrailEvaluator evaluator = new GuardrailEvaluator();
    var operator = holding ? new GuardrailEvaluatorOperator(evaluator) : new CoBroadcastWithKeyedOperator<>(evaluator, List.of(Outputs.REGISTRY));
    var harness = new KeyedBroadcastOperatorTestHarness<>(operator, WindowSummary::getExperimentId, Types.STRING, 1, 1, 0);
    harness.setStateBackend(rocksDb ? new EmbeddedRocksDBStateBackend() : new HashMapStateBackend());
    return harness;
  }

  /** {@link #unopened} opened with the running definition registered. */
  static KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> opened(boolean holding,
      boolean rocksDb) throws Exception {
    var harness = unopened(holding, rocksDb);
    harness.open();
    harness.processBroadcastElement(definition(b -> { }), 0);
    harness.processBroadcastWatermark(Long.MAX_VALUE);
    return harness;
  }

  /** Experiments with closed-window summaries in keyed state. */
  static long experimentsWithStoredSummaries(KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> harness) {
    try (Stream<?> keys = harness.getOperator().getKeyedStateBackend().getKeys(GuardrailEvaluator.CLOSED.getName(), VoidNamespace.INSTANCE)) {
      return keys.count();
    }
  }

  @Test
  void aSummaryWaitsForItsTimerOnTheHeapAndReachesStateOnlyAtABarrier() throws Exception {
    try (var harness = opened(true, true)) {
      harness.processElement(window("control", 0, 2000, 200), close(0));
      harness.processElement(window("treatment", 0, 3500, 200), close(0));
      assertThat(experimentsWithStoredSummaries(harness)).isZero();
      harness.processWatermark(close(0));
      harness.processElement(window("control", 1, 2000, 200), close(1));
      harness.processElement(window("treatment", 1, 3500, 200), close(1));
      harness.prepareSnapshotPreBarrier(1);
      assertThat(experimentsWithStoredSummaries(harness)).isOne();
      harness.processWatermark(close(1));
      assertThat(experimentsWithStoredSummaries(harness)).isZero();
      assertThat(harness.extractOutputValues())
          .extracting(ControlCommand::getAction, ControlCommand::getWindowStart, ControlCommand::getStreak)
          .containsExactly(tuple("ALERT", 0L, 1), tuple("PAUSE_EXPOSURE", 1 * WINDOW, 2));
    }
    try (var harness = opened(false, true)) {
      harness.processElement(window("control", 0, 2000, 200), close(0));
      assertThat(experimentsWithStoredSummaries(harness)).isOne();
    }
  }

  /** Either operator restores the other's snapshots: the job's savepoints from before and after it. */
  @ParameterizedTest(name = "held on the heap before: {0}, after: {1}; RocksDB: {2}")
  @CsvSource({"true, true, true", "false, false, true", "false, true, true", "true, false, true", "true, true, false"})
  void summariesHeldAcrossARestoreAreJudgedOnceEach(boolean holding, boolean restoredHolding, boolean rocksDb) throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = opened(holding, rocksDb)) {
      harness.processElement(window("control", 0, 2000, 200), close(0));
      harness.processElement(window("treatment", 0, 2000, 200), close(0));
      harness.processWatermark(close(0));
      harness.processElement(window("control", 1, 2000, 200), close(1));
      harness.processElement(window("treatment", 1, 3500, 200), close(1));
      harness.processElement(window("control", 2, 2000, 200), close(2));
      harness.prepareSnapshotPreBarrier(1);
      snapshot = harness.snapshot(1, 1);
    }
    try (var restored = unopened(restoredHolding, rocksDb)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.processBroadcastWatermark(Long.MAX_VALUE);
      // Stored after the restore but before the experiment's first timer, so the scan of restored summaries meets it too.
      restored.processElement(window("treatment", 2, 3600, 200), close(2));
      restored.processWatermark(close(2));
      assertThat(restored.extractOutputValues())
          .extracting(ControlCommand::getAction, ControlCommand::getWindowStart, ControlCommand::getStreak)
          .containsExactly(tuple("ALERT", 1 * WINDOW, 1), tuple("PAUSE_EXPOSURE", 2 * WINDOW, 2));
      assertThat(restored.getSideOutput(Outputs.VERDICTS)).extracting(r -> r.getValue().getWindowStart())
          .containsExactly(1 * WINDOW, 2 * WINDOW);
      assertThat(restored.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void alertsThenActsOnceThenStaysQuietUntilRecovered() throws Exception {
    try (var harness = harness(definition(b -> { }))) {
      feed(harness, new double[] {2000, 3500, 3600, 3700, 2000, 3800, 3900},
          new long[] {200, 200, 200, 200, 200, 200, 200});
      assertThat(harness.extractOutputValues())
          .extracting(ControlCommand::getAction, ControlCommand::getWindowStart, ControlCommand::getStreak)
          .containsExactly(tuple("ALERT", 1 * WINDOW, 1), tuple("PAUSE_EXPOSURE", 2 * WINDOW, 2),
              tuple("ALERT", 5 * WINDOW, 1), tuple("PAUSE_EXPOSURE", 6 * WINDOW, 2));
      ControlCommand pause = harness.extractOutputValues().get(1);
      assertThat(pause.getObserved()).isEqualTo(3600.0);
      assertThat(pause.getThreshold()).isEqualTo(3000.0);
      assertThat(pause.getDefinitionVersion()).isEqualTo(3);
      assertThat(pause.getEvidenceRequestIds()).containsExactly("req-2");
      assertThat(pause.getVariantId()).isEqualTo("treatment");
      assertThat(harness.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void underSampledWindowNeitherBreaksNorExtendsTheStreak() throws Exception {
    try (var harness = harness(definition(b -> { }))) {
      feed(harness, new double[] {3500, 9000, 3500}, new long[] {200, 10, 200});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart)
          .containsExactly(tuple("ALERT", 0L), tuple("PAUSE_EXPOSURE", 2 * WINDOW));
    }
  }

  @Test
  void controlIsNeverJudgedAgainstTreatmentThresholds() throws Exception {
    try (var harness = harness(definition(b -> { }))) {
      for (int i = 0; i < 3; i++) {
        harness.processElement(window("control", i, 9000, 200), close(i));
        harness.processElement(window("treatment", i, 2000, 200), close(i));
        harness.processWatermark(close(i));
      }
      assertThat(harness.extractOutputValues()).isEmpty();
    }
  }

  @Test
  void burnInWindowsFeedNoRule() throws Exception {
    try (var harness = harness(definition(b -> b.setBurnInMs(2 * WINDOW)))) {
      feed(harness, new double[] {5000, 5000, 5000}, new long[] {200, 200, 200});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart)
          .containsExactly(tuple("ALERT", 2 * WINDOW));
    }
  }

  @Test
  void aWindowThatStartsBeforeTheExperimentIsNotJudged() throws Exception {
    try (var harness = harness(definition(b -> b.setStartTime(1)))) {
      feed(harness, new double[] {5000, 5000, 5000}, new long[] {200, 200, 200});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart)
          .containsExactly(tuple("ALERT", WINDOW), tuple("PAUSE_EXPOSURE", 2 * WINDOW));
    }
  }

  @Test
  void dryRunMarksTheSameCommands() throws Exception {
    try (var harness = harness(definition(b -> b.setDryRun(true)))) {
      feed(harness, new double[] {5000, 5000}, new long[] {200, 200});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getDryRun)
          .containsExactly(tuple("ALERT", true), tuple("PAUSE_EXPOSURE", true));
    }
  }

  @Test
  void summariesOfALaterWindowWaitForTheirOwnClose() throws Exception {
    try (var harness = harness(definition(b -> { }))) {
      harness.processElement(window("control", 0, 2000, 200), close(0));
      harness.processElement(window("treatment", 0, 5000, 200), close(0));
      harness.processElement(window("control", 1, 2000, 200), close(1));
      harness.processElement(window("treatment", 1, 5000, 200), close(1));
      harness.processWatermark(close(0));
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getWindowStart).containsExactly(0L);
      harness.processWatermark(close(1));
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getWindowStart).containsExactly(0L, WINDOW);
    }
  }

  static WindowSummary window(String variant, String segment, int index, String metric, double value, long turns) {
    return WindowSummary.newBuilder(window(variant, index, 0, turns)).setSegment(segment).setMetrics(Map.of(metric, value)).build();
  }

  static void feedPairs(KeyedBroadcastOperatorTestHarness<String, WindowSummary, ExperimentDefinition, ControlCommand> harness,
      String segment, String metric, double[] control, double[] treatment) throws Exception {
    for (int i = 0; i < control.length; i++) {
      harness.processElement(window("control", segment, i, metric, control[i], 200), close(i));
      harness.processElement(window("treatment", segment, i, metric, treatment[i], 200), close(i));
      harness.processWatermark(close(i));
    }
  }

  static GuardrailRule.Builder rule(String metric) {
    return GuardrailRule.newBuilder().setId("r").setMetric(metric).setMinSamples(50).setConsecutiveWindows(2).setAction("REVIEW");
  }

  @Test
  void costRiseVisibleOnlyAsARatioToControl() throws Exception {
    GuardrailRule ratio = rule("cost_per_turn_usd").setScope("ratio_to_control").setDirection("max").setThreshold(1.25).build();
    try (var harness = harness(definition(b -> b.setGuardrails(List.of(ratio))))) {
      // Prices fall for both arms, then the treatment costs 1.5x the control while staying under its old absolute cost.
      feedPairs(harness, "*", "cost_per_turn_usd", new double[] {0.004, 0.002, 0.002, 0.002}, new double[] {0.0041, 0.003, 0.003, 0.003});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart)
          .containsExactly(tuple("ALERT", WINDOW), tuple("REVIEW", 2 * WINDOW));
      ControlCommand review = harness.extractOutputValues().get(1);
      assertThat(review.getObserved()).isCloseTo(1.5, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(review.getControlObserved()).isEqualTo(0.002);
      assertThat(review.getControlSamples()).isEqualTo(200);
      assertThat(review.getSamples()).isEqualTo(200);
      assertThat(review.getReason()).contains("treatment / control");
    }
  }

  @Test
  void severityLadderAlertsAtOneThresholdAndRollsBackAtAHarsherOne() throws Exception {
    GuardrailRule ladder = rule("latency_p95_ms").setDirection("max").setThreshold(3000.0).setAction("ALERT")
        .setSeverities(List.of(new dev.arbiter.avro.SeverityLevel(5000.0, "ROLLBACK"))).build();
    try (var harness = harness(definition(b -> b.setGuardrails(List.of(ladder))))) {
      feedPairs(harness, "*", "latency_p95_ms", new double[] {2000, 2000, 2000, 2000}, new double[] {3500, 3600, 5200, 5300});
      assertThat(harness.extractOutputValues())
          .extracting(ControlCommand::getAction, ControlCommand::getSeverity, ControlCommand::getWindowStart, ControlCommand::getThreshold)
          .containsExactly(tuple("ALERT", 0, 0L, 3000.0), tuple("ALERT", 0, WINDOW, 3000.0),
              tuple("ALERT", 1, 2 * WINDOW, 5000.0), tuple("ROLLBACK", 1, 3 * WINDOW, 5000.0));
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getCommandId).doesNotHaveDuplicates();
    }
  }

  @Test
  void thresholdFromTheControlsRecentWindowsWaitsForThemAndIsRecorded() throws Exception {
    GuardrailRule baseline = rule("latency_p95_ms").setDirection("max")
        .setThreshold(new dev.arbiter.avro.ControlBaseline("max", 3)).setAction("PAUSE_EXPOSURE").build();
    try (var harness = harness(definition(b -> b.setGuardrails(List.of(baseline))))) {
      // Windows 0-2 fill the control history (the treatment is slow but nothing can be judged yet).
      feedPairs(harness, "*", "latency_p95_ms", new double[] {2000, 2400, 2200, 2300, 2100}, new double[] {9000, 9000, 9000, 2500, 2600});
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart,
              ControlCommand::getThreshold)
          .containsExactly(tuple("ALERT", 3 * WINDOW, 2400.0), tuple("PAUSE_EXPOSURE", 4 * WINDOW, 2400.0));
      assertThat(harness.extractOutputValues().get(0).getReason()).contains("control's max over its last 3 windows");
    }
  }

  @Test
  void perSegmentRuleWatchesEachValueSeparately() throws Exception {
    GuardrailRule mobile = rule("safety_pass_rate").setDirection("min").setThreshold(0.99).setAction("ROLLBACK")
        .setSegments(List.of("device=*")).build();
    try (var harness = harness(definition(b -> b.setSegments(List.of("device")).setGuardrails(List.of(mobile))))) {
      for (int i = 0; i < 2; i++) {
        for (String segment : List.of("*", "device=desktop", "device=mobile")) {
          harness.processElement(window("control", segment, i, "safety_pass_rate", 0.999, 200), close(i));
          harness.processElement(window("treatment", segment, i, "safety_pass_rate", segment.equals("device=mobile") ? 0.97 : 0.999, 200),
              close(i));
        }
        harness.processWatermark(close(i));
      }
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getSegment)
          .containsExactly(tuple("ALERT", "device=mobile"), tuple("ROLLBACK", "device=mobile"));
    }
  }

  @Test
  void sampleRatioMismatchHaltsOnceAndCanBeTurnedOff() throws Exception {
    for (boolean check : new boolean[] {true, false}) {
      try (var harness = harness(definition(b -> b.setSrmCheck(check).setGuardrails(List.of())))) {
        for (int i = 0; i < 10; i++) {
          harness.processElement(WindowSummary.newBuilder(window("control", i, 2000, 200)).setNewUnits(110).build(), close(i));
          harness.processElement(WindowSummary.newBuilder(window("treatment", i, 2000, 200)).setNewUnits(60).build(), close(i));
          harness.processWatermark(close(i));
        }
        if (check) {
          assertThat(harness.extractOutputValues()).singleElement().satisfies(halt -> {
            assertThat(halt.getAction()).isEqualTo("SRM_HALT");
            assertThat(halt.getObserved()).isLessThan(0.001);
            assertThat(halt.getReason()).contains("control=").contains("treatment=");
          });
        } else {
          assertThat(harness.extractOutputValues()).isEmpty();
        }
      }
    }
  }

  @Test
  void nonInferiorityReadsTheDataSinceStart() throws Exception {
    GuardrailRule ni = rule("safety_pass_rate").setScope("non_inferiority").setDirection("min").setThreshold(0.0)
        .setMargin(0.005).setAlpha(0.01).setMinSamples(1000).setAction("ROLLBACK").build();
    try (var harness = harness(definition(b -> b.setGuardrails(List.of(ni))))) {
      // 2,000 turns a window: 99.5% for control, 98.0% for the treatment, already significant
      // (z = -2.85 beyond the margin) in the first window; the evidence since start then persists.
      for (int i = 0; i < 4; i++) {
        harness.processElement(WindowSummary.newBuilder(window("control", "*", i, "safety_pass_rate", 0.995, 2000)).build(), close(i));
        harness.processElement(WindowSummary.newBuilder(window("treatment", "*", i, "safety_pass_rate", 0.98, 2000)).build(), close(i));
        harness.processWatermark(close(i));
      }
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction, ControlCommand::getWindowStart)
          .containsExactly(tuple("ALERT", 0L), tuple("ROLLBACK", WINDOW));
      assertThat(harness.extractOutputValues().get(1).getObserved()).isCloseTo(-0.015, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  static WindowSummary outcomes(String variant, String segment, int index, long units, double resolution) {
    return WindowSummary.newBuilder(window(variant, segment, index, "resolution_rate", resolution, units))
        .setSamples(Map.of("resolution_rate", units)).build();
  }

  static ExperimentDefinition sequentialDefinition(Consumer<ExperimentDefinition.Builder> change) {
    return definition(b -> {
      b.setGuardrails(List.of()).setSrmCheck(false).setSegments(List.of("device")).setSecondaryMetrics(List.of("handoff_rate"))
          .setPrimary(dev.arbiter.avro.PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setPlannedUnitsPerArm(400)
              .setLooks(List.of(new dev.arbiter.avro.LookSpec(0.5, null, null), new dev.arbiter.avro.LookSpec(1.0, null, null))).build());
      change.accept(b);
    });
  }

  @Test
  void looksCarryBenjaminiHochbergReadsAndAMixedSegmentWinnerGoesToReview() throws Exception {
    try (var harness = harness(sequentialDefinition(b -> { }))) {
      // Pooled, the treatment wins big; but its units come mostly from mobile, where everyone resolves more.
      for (int i = 0; i < 2; i++) {
        harness.processElement(outcomes("control", "*", i, 200, 0.50), close(i));
        harness.processElement(outcomes("treatment", "*", i, 200, 0.75), close(i));
        harness.processElement(outcomes("control", "device=mobile", i, 40, 0.80), close(i));
        harness.processElement(outcomes("treatment", "device=mobile", i, 160, 0.80), close(i));
        harness.processElement(outcomes("control", "device=desktop", i, 160, 0.425), close(i));
        harness.processElement(outcomes("treatment", "device=desktop", i, 40, 0.55), close(i));
        harness.processWatermark(close(i));
      }
      var looks = harness.getSideOutput(Outputs.LOOKS);
      assertThat(looks).isNotEmpty();
      dev.arbiter.avro.SequentialLook look = looks.peek().getValue();
      assertThat(look.getSimpsonWarning()).contains("device mix differs");
      assertThat(look.getReads()).extracting(dev.arbiter.avro.SecondaryRead::getName)
          .contains("resolution_rate@device=desktop", "resolution_rate@device=mobile");
      assertThat(look.getReads()).allSatisfy(r -> assertThat(r.getBhPValue()).isGreaterThanOrEqualTo(r.getPValue()));
      assertThat(harness.extractOutputValues()).extracting(ControlCommand::getAction).containsExactly("REVIEW");
    }
  }

  @Test
  void thompsonModeSetsTheAllocationAtEveryWindowClose() throws Exception {
    try (var harness = harness(sequentialDefinition(b -> b.setAllocation("thompson").setAllocationFloor(0.1)))) {
      for (int i = 0; i < 3; i++) {
        harness.processElement(outcomes("control", "*", i, 50, 0.40), close(i));
        harness.processElement(outcomes("treatment", "*", i, 50, 0.70), close(i));
        harness.processWatermark(close(i));
      }
      var allocations = harness.extractOutputValues().stream().filter(c -> c.getAction().equals("SET_ALLOCATION")).toList();
      assertThat(allocations).hasSize(3);
      assertThat(allocations.get(2).getAllocation().get("treatment")).isGreaterThan(0.85);
      assertThat(allocations.get(2).getAllocation().get("control")).isGreaterThanOrEqualTo(0.1);
      assertThat(allocations).extracting(ControlCommand::getCommandId).doesNotHaveDuplicates();
    }
  }
}
