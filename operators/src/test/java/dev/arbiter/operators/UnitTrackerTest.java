package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.core.Observation;
import dev.arbiter.core.UnitState;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class UnitTrackerTest {
  static final long WAIT = 120_000;

  static Observation event(byte kind, String unit, String variant, String request, long time) {
    Observation o = new Observation();
    o.kind = kind;
    o.experimentId = "e";
    o.unitId = unit;
    o.variantId = variant;
    o.requestId = request;
    o.eventTime = time;
    o.windowMs = 60_000;
    o.segments = new String[] {"*", "device=mobile"};
    o.sourceTopic = "llm.turns";
    o.sourceOffset = time;
    if (kind == Observation.JUDGE) {
      o.judgeAxes = new String[] {"helpfulness"};
      o.judgeScores = new double[] {4};
    }
    return o;
  }

  /**
   * The tracker as the job runs it, on RocksDB and holding at most two recent units, so that the
   * tests below also see units written back, dropped from the heap and read from state again.
   */
  static KeyedOneInputStreamOperatorTestHarness<String, Observation, Observation> harness() throws Exception {
    return rocksDbHarness(2, null);
  }

  /** RocksDB, where a unit changed on the heap differs from its stored copy until it is written back. */
  static KeyedOneInputStreamOperatorTestHarness<String, Observation, Observation> rocksDbHarness(int recentUnits, OperatorSubtaskState restored)
      throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(new UnitTrackerOperator(new UnitTracker(WAIT, 3_600_000), recentUnits),
        (Observation o) -> Observation.unitKey(o.experimentId, o.unitId), Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    harness.setup();
    harness.initializeState(restored);
    harness.open();
    return harness;
  }

  static UnitState stored(KeyedOneInputStreamOperatorTestHarness<String, Observation, Observation> harness, String unit) throws Exception {
    var backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(Observation.unitKey("e", unit));
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, UnitTracker.unitDescriptor(3_600_000)).value();
  }

  static List<String> deadLetterReasons(KeyedOneInputStreamOperatorTestHarness<String, Observation, Observation> harness) {
    return harness.getSideOutput(Outputs.DEAD_LETTERS) == null ? List.of()
        : harness.getSideOutput(Outputs.DEAD_LETTERS).stream().map(record -> record.getValue().getReason()).toList();
  }

  @Test
  void recentUnitsReachStateBeforeEveryCheckpointBarrierAndSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = rocksDbHarness(100, null)) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r2", 2_000), 2_000);
      assertThat(stored(harness, "u1")).as("held on the heap, not yet written").isNull();

      harness.prepareSnapshotPreBarrier(1);
      assertThat(stored(harness, "u1")).as("written before the barrier")
          .satisfies(unit -> assertThat(unit.turns).isEqualTo(2), unit -> assertThat(unit.requestIds).containsExactly("r1", "r2"));
      snapshot = harness.snapshot(1, 3_000);
    }
    try (var restored = rocksDbHarness(100, snapshot)) {
      restored.processElement(event(Observation.TURN, "u1", "treatment", "r2", 4_000), 4_000);
      restored.processElement(event(Observation.TURN, "u1", "control", "r3", 5_000), 5_000);
      assertThat(deadLetterReasons(restored)).as("the restored unit knows its request ids").containsExactly("duplicate_event");
      assertThat(restored.extractOutputValues()).as("and its variant: r3 is a leak, placed in both segments")
          .hasSize(2).allSatisfy(o -> assertThat(o.leaked).isTrue());
    }
  }

  @Test
  void withTheHeapStateBackendEveryChangeIsWrittenAtOnce() throws Exception {
    // The heap backend keeps the object it is handed; one changed in place later could change under a running snapshot.
    try (var harness = new KeyedOneInputStreamOperatorTestHarness<>(new UnitTrackerOperator(new UnitTracker(WAIT, 3_600_000), 100),
        (Observation o) -> Observation.unitKey(o.experimentId, o.unitId), Types.STRING)) {
      harness.open();
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      assertThat(stored(harness, "u1")).as("written with the first turn").isNotNull();
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r2", 2_000), 2_000);
      assertThat(stored(harness, "u1").requestIds).containsExactly("r1", "r2");
    }
  }

  @Test
  void aFullHeapWritesTheChangedUnitsItDropsAndReadsThemFromStateAgain() throws Exception {
    try (var harness = rocksDbHarness(2, null)) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.TURN, "u2", "control", "r2", 1_000), 1_000);
      assertThat(stored(harness, "u1")).isNull();
      harness.processElement(event(Observation.TURN, "u3", "control", "r3", 1_000), 1_000);
      assertThat(stored(harness, "u1")).as("three units held: the oldest written and dropped").isNotNull();
      assertThat(stored(harness, "u3")).as("the others still held").isNull();

      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 2_000), 2_000);
      assertThat(deadLetterReasons(harness)).as("u1, read from state again, knows r1").containsExactly("duplicate_event");
    }
  }

  @Test
  void idlenessStopsAtTheUnitTrackerWhileWatermarksAndTimersCarryOn() throws Exception {
    UnitTrackerOperator operator = new UnitTrackerOperator(new UnitTracker(WAIT, 3_600_000), 0);
    try (var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, (Observation o) -> Observation.unitKey(o.experimentId, o.unitId),
        Types.STRING)) {
      harness.open();
      // An outcome before its turn waits for it until the watermark passes its time plus the wait.
      harness.processElement(event(Observation.OUTCOME, "u1", "control", null, 5_000), 5_000);
      harness.processWatermarkStatus(WatermarkStatus.IDLE);
      harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
      harness.processWatermark(5_000 + WAIT);
      assertThat(harness.getOutput()).as("no status downstream, the watermark still does")
          .noneMatch(WatermarkStatus.class::isInstance)
          .anyMatch(item -> item instanceof org.apache.flink.streaming.api.watermark.Watermark mark && mark.getTimestamp() == 5_000 + WAIT);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).as("the waiting outcome's timer fired").isNotEmpty();
    }
  }

  @Test
  void turnIsPlacedInEverySegmentOfItsVariant() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      assertThat(harness.extractOutputValues()).extracting(o -> o.windowKey)
          .containsExactly(Observation.windowKey("e", "treatment", "*"), Observation.windowKey("e", "treatment", "device=mobile"));
    }
  }

  @Test
  void outcomeAndJudgeScoreTakeTheVariantAndSegmentsOfTheUnitsTurns() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      // The outcome logs another variant; the unit's turns decide.
      harness.processElement(event(Observation.OUTCOME, "u1", "control", null, 5_000), 5_000);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 90_000), 90_000);
      assertThat(harness.extractOutputValues()).extracting(o -> o.kind, o -> o.variantId, o -> o.segment)
          .containsExactly(
              tuple(Observation.TURN, "treatment", "*"), tuple(Observation.TURN, "treatment", "device=mobile"),
              tuple(Observation.OUTCOME, "treatment", "*"), tuple(Observation.OUTCOME, "treatment", "device=mobile"),
              tuple(Observation.JUDGE, "treatment", "*"), tuple(Observation.JUDGE, "treatment", "device=mobile"));
    }
  }

  @Test
  void judgeScoreThatOvertakesItsTurnWaitsForIt() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 70_000), 70_000);
      assertThat(harness.extractOutputValues()).isEmpty();
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 10_000), 10_000);
      assertThat(harness.extractOutputValues()).extracting(o -> o.kind).containsExactly(
          Observation.TURN, Observation.TURN, Observation.JUDGE, Observation.JUDGE);
      harness.processWatermark(Long.MAX_VALUE);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).isNull();
    }
  }

  @Test
  void judgeScoreWhoseTurnNeverArrivesIsDeadLetteredAfterTheWait() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 10_000), 10_000);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r-unknown", 70_000), 70_000);
      harness.processElement(event(Observation.OUTCOME, "u2", "control", null, 80_000), 80_000);
      harness.processWatermark(70_000 + WAIT - 1);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).isNull();
      harness.processWatermark(80_000 + WAIT);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason, DeadLetter::getSourceOffset)
          .containsExactlyInAnyOrder(tuple("judge_without_turn", 70_000L), tuple("outcome_without_turns", 80_000L));
      assertThat(harness.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void unitSeenInASecondVariantIsFlaggedAsALeak() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r2", 2_000), 2_000);
      assertThat(harness.extractOutputValues()).extracting(o -> o.variantId, o -> o.leaked)
          .containsExactly(tuple("control", false), tuple("control", false), tuple("treatment", true), tuple("treatment", true));
    }
  }

  @Test
  void repeatedRequestIdCountsOnce() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_500), 1_500);
      assertThat(harness.extractOutputValues()).hasSize(2);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason).containsExactly("duplicate_event");
    }
  }

  @Test
  void repeatedRequestIdCountsOnceAlsoInAConversationLongerThanTheUnitStateKeeps() throws Exception {
    int turns = UnitState.INLINE_REQUESTS + 6;
    try (var harness = harness()) {
      for (int i = 0; i < turns; i++) {
        harness.processElement(event(Observation.TURN, "u1", "control", "r" + i, 1_000 + i), 1_000 + i);
      }
      // The first is kept in the unit's state, the last past its limit in the request map.
      harness.processElement(event(Observation.TURN, "u1", "control", "r0", 5_000), 5_000);
      harness.processElement(event(Observation.TURN, "u1", "control", "r" + (turns - 1), 5_001), 5_001);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r" + (turns - 1), 5_002), 5_002);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason).containsExactly("duplicate_event", "duplicate_event");
      // Every first turn placed in two segments, and the judge score joined at once.
      assertThat(harness.extractOutputValues()).hasSize(2 * turns + 2);
      assertThat(harness.extractOutputValues()).filteredOn(o -> o.kind == Observation.JUDGE).hasSize(2);
    }
  }

  @Test
  void requestIdsOfAUnitStoredBeforeTheyWereKeptInItsStateAreStillFound() throws Exception {
    // Nothing held on the heap, as after the restore of such state.
    try (var harness = rocksDbHarness(0, null)) {
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_000), 1_000);
      // Rewrite the unit as an earlier build stored it: no request ids in the unit, r1 in the request map.
      var backend = harness.getOperator().getKeyedStateBackend();
      backend.setCurrentKey(Observation.unitKey("e", "u1"));
      var unit = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, UnitTracker.unitDescriptor(3_600_000));
      UnitState earlier = unit.value();
      earlier.requestIds = null;
      unit.update(earlier);
      backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, UnitTracker.requestDescriptor(3_600_000))
          .put("r1", 1_000L);

      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 2_000), 2_000);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 2_500), 2_500);
      harness.processElement(event(Observation.TURN, "u1", "control", "r2", 3_000), 3_000);
      harness.processElement(event(Observation.TURN, "u1", "control", "r2", 3_500), 3_500);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason).containsExactly("duplicate_event", "duplicate_event");
      assertThat(harness.extractOutputValues()).extracting(o -> o.kind)
          .containsExactly(Observation.TURN, Observation.TURN, Observation.JUDGE, Observation.JUDGE, Observation.TURN, Observation.TURN);
    }
  }

  @Test
  void repeatedOutcomeOfAUnitCountsOnceEvenWhenBothWaitedForTheTurn() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.OUTCOME, "u1", "control", null, 9_000), 9_000);
      harness.processElement(event(Observation.OUTCOME, "u1", "control", null, 9_000), 9_000);
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.OUTCOME, "u1", "control", null, 9_500), 9_500);
      assertThat(harness.extractOutputValues()).filteredOn(o -> o.kind == Observation.OUTCOME).hasSize(2)
          .extracting(o -> o.segment).containsExactly("*", "device=mobile");
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason, DeadLetter::getSourceOffset)
          .containsExactly(tuple("duplicate_event", 9_000L), tuple("duplicate_event", 9_500L));
    }
  }

  @Test
  void repeatedJudgeScoreCountsOnceButAnotherAxisOfTheSameTurnCounts() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "control", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 50_000), 50_000);
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 50_000), 50_000);
      Observation safety = event(Observation.JUDGE, "u1", null, "r1", 51_000);
      safety.judgeAxes = new String[] {"safety"};
      harness.processElement(safety, 51_000);
      assertThat(harness.extractOutputValues()).filteredOn(o -> o.kind == Observation.JUDGE)
          .extracting(o -> o.judgeAxes[0]).containsExactly("helpfulness", "helpfulness", "safety", "safety");
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .extracting(DeadLetter::getReason).containsExactly("duplicate_event");
    }
  }

  @Test
  void aUnitIsNewInTheWindowOfItsFirstTurnWhicheverTurnIsProcessedFirst() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r2", 70_000), 70_000);
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 10_000), 10_000);
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r0", 5_000), 5_000);
      // r2 was counted new in [60000, 120000); r1, earlier and in [0, 60000), takes the count there and
      // back from r2's window in both segments; r0 is earlier still but in r1's window: nothing moves.
      assertThat(harness.extractOutputValues())
          .extracting(o -> o.kind, o -> o.requestId, o -> o.eventTime, o -> o.newUnit, o -> o.segment)
          .containsExactly(
              tuple(Observation.TURN, "r2", 70_000L, true, "*"), tuple(Observation.TURN, "r2", 70_000L, true, "device=mobile"),
              tuple(Observation.FIRST_TURN_MOVED, null, 70_000L, false, "*"),
              tuple(Observation.FIRST_TURN_MOVED, null, 70_000L, false, "device=mobile"),
              tuple(Observation.TURN, "r1", 10_000L, true, "*"), tuple(Observation.TURN, "r1", 10_000L, true, "device=mobile"),
              tuple(Observation.TURN, "r0", 5_000L, false, "*"), tuple(Observation.TURN, "r0", 5_000L, false, "device=mobile"));
    }
  }

  @Test
  void anEarlierTurnTooLateForItsWindowLeavesTheNewUnitWhereItIs() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r2", 130_000), 130_000);
      harness.processWatermark(100_000);
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 10_000), 10_000);
      assertThat(harness.extractOutputValues()).noneMatch(o -> o.kind == Observation.FIRST_TURN_MOVED)
          .filteredOn(o -> "r1".equals(o.requestId)).allSatisfy(o -> assertThat(o.newUnit).isFalse());
    }
  }

  @Test
  void aUnitIsValuedOnlyByItsOutcomesTimerNotByLaterOnes() throws Exception {
    try (var harness = harness()) {
      harness.processElement(event(Observation.TURN, "u1", "treatment", "r1", 1_000), 1_000);
      harness.processElement(event(Observation.OUTCOME, "u1", "treatment", null, 9_000), 9_000);
      // A score for a request the unit never served waits, with its own timer after the outcome's.
      harness.processElement(event(Observation.JUDGE, "u1", null, "r9", 20_000), 20_000);
      harness.processWatermark(Long.MAX_VALUE);
      assertThat(harness.extractOutputValues()).filteredOn(o -> o.kind == Observation.UNIT)
          .as("one valuation, in each of the unit's two segments").hasSize(2)
          .allSatisfy(v -> assertThat(v.eventTime).isEqualTo(9_000 + WAIT));
      assertThat(deadLetterReasons(harness)).containsExactly("judge_without_turn");
    }
  }

  @Test
  void aTimerReadsAFinishedUnitWithoutHoldingItOnTheHeap() throws Exception {
    try (var harness = rocksDbHarness(2, null)) {
      Observation turn = event(Observation.TURN, "u1", "treatment", "r1", 1_000);
      turn.costUsd = 0.003;
      harness.processElement(turn, 1_000);
      harness.processElement(event(Observation.OUTCOME, "u1", "treatment", null, 2_000), 2_000);
      harness.processElement(event(Observation.TURN, "u2", "control", "r2", 3_000), 3_000);
      harness.processElement(event(Observation.TURN, "u3", "control", "r3", 3_000), 3_000);
      assertThat(stored(harness, "u1")).as("the oldest, written and dropped").isNotNull();

      harness.processWatermark(2_000 + WAIT);
      assertThat(harness.extractOutputValues()).filteredOn(o -> o.kind == Observation.UNIT)
          .as("valued from its stored copy").hasSize(2).allSatisfy(v -> assertThat(v.unitCost).isEqualTo(0.003));
      // Had u1 been held again, three units would be held and u2, the oldest, written and dropped.
      assertThat(stored(harness, "u2")).as("u1 was not held again, so no active unit was pushed out").isNull();
      assertThat(stored(harness, "u3")).isNull();
    }
  }

  @Test
  void aUnitsFinalValuesAreEmittedOnceAJudgeWaitAfterItsOutcome() throws Exception {
    try (var harness = harness()) {
      Observation first = event(Observation.TURN, "u1", "treatment", "r1", 1_000);
      first.costUsd = 0.002;
      Observation second = event(Observation.TURN, "u1", "treatment", "r2", 5_000);
      second.costUsd = 0.004;
      harness.processElement(first, 1_000);
      harness.processElement(second, 5_000);
      harness.processElement(event(Observation.OUTCOME, "u1", "treatment", null, 9_000), 9_000);
      Observation lateScore = event(Observation.JUDGE, "u1", null, "r2", 60_000);
      lateScore.judgeScores = new double[] {2};
      harness.processElement(event(Observation.JUDGE, "u1", null, "r1", 50_000), 50_000);
      harness.processElement(lateScore, 60_000);
      harness.processWatermark(9_000 + WAIT - 1);
      assertThat(harness.extractOutputValues()).noneMatch(o -> o.kind == Observation.UNIT);
      harness.processWatermark(9_000 + WAIT);
      harness.processWatermark(Long.MAX_VALUE);
      var values = harness.extractOutputValues().stream().filter(o -> o.kind == Observation.UNIT).toList();
      // One unit, placed in its two segments, with its total cost, its turns and its mean score.
      assertThat(values).hasSize(2).allSatisfy(v -> {
        assertThat(v.unitCost).isCloseTo(0.006, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(v.unitTurns).isEqualTo(2);
        assertThat(v.judgeAxes).containsExactly("helpfulness");
        assertThat(v.judgeScores).containsExactly(3.0);
        assertThat(v.eventTime).isEqualTo(9_000 + WAIT);
        assertThat(v.variantId).isEqualTo("treatment");
      });
    }
  }
}
