package dev.arbiter.operators;

import static dev.arbiter.operators.WindowAggregatorTest.CLOSE;
import static dev.arbiter.operators.WindowAggregatorTest.WINDOW;
import static dev.arbiter.operators.WindowAggregatorTest.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Observation;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WindowPreAggregatorTest {

  static OneInputStreamOperatorTestHarness<Observation, Observation> harness(int maxEntries) throws Exception {
    OneInputStreamOperatorTestHarness<Observation, Observation> harness =
        new OneInputStreamOperatorTestHarness<>(new WindowPreAggregator(maxEntries));
    harness.open();
    return harness;
  }

  /** Drives the window operator with what the pre-aggregator emitted, watermarks included, in order. */
  static List<WindowSummary> windowsFrom(List<Object> upstream) throws Exception {
    try (var windows = WindowAggregatorTest.harness()) {
      for (Object item : upstream) {
        if (item instanceof StreamRecord<?> record) {
          Observation o = (Observation) record.getValue();
          windows.processElement(o, record.getTimestamp());
        } else if (item instanceof org.apache.flink.streaming.api.watermark.Watermark mark) {
          windows.processWatermark(mark.getTimestamp());
        }
      }
      return windows.extractOutputValues();
    }
  }

  static List<Observation> turns() {
    List<Observation> turns = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      turns.add(turn(i % 3 == 0 ? "device=mobile" : "*", 500 + i * 3_000L, "r" + i, 800 + 97 * i));
    }
    return turns;
  }

  @Test
  void combinedTurnsGiveTheSameWindowsAsSingleTurns() throws Exception {
    List<Object> direct = new ArrayList<>();
    List<Object> combined;
    try (var pre = harness(1_000)) {
      for (Observation turn : turns()) {
        pre.processElement(turn, turn.eventTime);
        direct.add(new StreamRecord<>(turn, turn.eventTime));
        if (turn.eventTime > 65_000 && turn.eventTime < 68_500) {
          pre.processWatermark(WINDOW + 2_000);
          direct.add(new org.apache.flink.streaming.api.watermark.Watermark(WINDOW + 2_000));
        }
      }
      pre.processWatermark(Long.MAX_VALUE);
      direct.add(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));
      combined = new ArrayList<>(pre.getOutput());
    }
    long partials = combined.stream().filter(o -> o instanceof StreamRecord<?> r && ((Observation) r.getValue()).kind == Observation.PARTIAL).count();
    // Four windows (two segments x two windows) in at most a handful of records instead of 40.
    assertThat(partials).isBetween(4L, 6L);
    assertThat(windowsFrom(combined)).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyInAnyOrderElementsOf(windowsFrom(direct));
  }

  @Test
  void aTurnWhoseWindowEndedPassesThroughSoTheWindowOperatorJudgesIt() throws Exception {
    try (var pre = harness(1_000)) {
      pre.processWatermark(CLOSE);
      Observation late = turn("*", 1_000, "late", 900);
      pre.processElement(late, late.eventTime);
      assertThat(pre.extractOutputValues()).singleElement().satisfies(o -> {
        assertThat(o.kind).isEqualTo(Observation.TURN);
        assertThat(o.requestId).isEqualTo("late");
      });
    }
  }

  @Test
  void aFullBundleIsEmittedWholeAndEntriesOutliveCheckpointBarriers() throws Exception {
    try (var pre = harness(2)) {
      pre.processElement(turn("*", 1_000, "a", 900), 1_000);
      pre.processElement(turn("device=mobile", 1_000, "a", 900), 1_000);
      pre.prepareSnapshotPreBarrier(1);
      pre.snapshot(1, 1);
      assertThat(pre.extractOutputValues()).as("held across the barrier").isEmpty();
      // A third window does not fit: the two held ones go out first.
      pre.processElement(turn("device=desktop", 2_000, "b", 900), 2_000);
      assertThat(pre.extractOutputValues()).hasSize(2).allSatisfy(o -> assertThat(o.kind).isEqualTo(Observation.PARTIAL));
    }
  }

  @Test
  void heldWindowsGoOutBeforeAnIdleStatusSoTheWindowOperatorCannotCloseThemWithoutThisSubtask() throws Exception {
    try (var pre = harness(1_000)) {
      pre.processElement(turn("*", 1_000, "a", 900), 1_000);
      pre.processElement(turn("*", 2_000, "b", 900), 2_000);
      pre.processElement(turn("device=mobile", 1_000, "a", 900), 1_000);
      pre.processWatermarkStatus(WatermarkStatus.IDLE);
      List<Object> out = new ArrayList<>(pre.getOutput());
      assertThat(out).as("both windows, then the status").hasSize(3).last().isEqualTo(WatermarkStatus.IDLE);
      assertThat(out.subList(0, 2)).allSatisfy(o -> assertThat(((Observation) ((StreamRecord<?>) o).getValue()).kind).isEqualTo(Observation.PARTIAL));

      pre.processWatermarkStatus(WatermarkStatus.ACTIVE);
      pre.processElement(turn("*", 3_000, "c", 900), 3_000);
      pre.processWatermark(Long.MAX_VALUE);
      List<Object> all = new ArrayList<>(pre.getOutput());
      List<Object> direct = new ArrayList<>();
      for (String request : List.of("a", "b", "c")) {
        long time = request.equals("a") ? 1_000 : request.equals("b") ? 2_000 : 3_000;
        direct.add(new StreamRecord<>(turn("*", time, request, 900), time));
        if (request.equals("a")) {
          direct.add(new StreamRecord<>(turn("device=mobile", time, request, 900), time));
        }
      }
      direct.add(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));
      assertThat(windowsFrom(all)).as("nothing counted twice or lost across the idle spell").usingRecursiveFieldByFieldElementComparator()
          .containsExactlyInAnyOrderElementsOf(windowsFrom(direct));
    }
  }

  @Test
  void heldWindowsAreRestoredFromASnapshotAndGiveTheSameWindows() throws Exception {
    List<Observation> turns = turns();
    List<Object> direct = new ArrayList<>();
    turns.forEach(t -> direct.add(new StreamRecord<>(t, t.eventTime)));
    direct.add(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));

    List<Object> combined = new ArrayList<>();
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState state;
    try (var before = harness(1_000)) {
      turns.subList(0, 25).forEach(t -> process(before, t));
      state = before.snapshot(7, 7);
      combined.addAll(before.getOutput());
      // What the failed attempt emits after the checkpoint is replayed; the restored one redoes it.
      process(before, turns.get(25));
    }
    try (var after = new OneInputStreamOperatorTestHarness<Observation, Observation>(new WindowPreAggregator(1_000))) {
      after.initializeState(state);
      after.open();
      turns.subList(25, turns.size()).forEach(t -> process(after, t));
      after.processWatermark(Long.MAX_VALUE);
      combined.addAll(after.getOutput());
    }
    assertThat(combined.stream().filter(o -> o instanceof StreamRecord<?>).count()).isBetween(4L, 6L);
    assertThat(windowsFrom(combined)).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyInAnyOrderElementsOf(windowsFrom(direct));
  }

  @Test
  void outcomesAndUnitValuesAreCombinedToo() throws Exception {
    Observation outcome = turn("*", 1_000, "o", 0);
    outcome.kind = Observation.OUTCOME;
    outcome.resolved = true;
    Observation unit = turn("*", 1_500, "u", 0);
    unit.kind = Observation.UNIT;
    unit.unitCost = 0.02;
    unit.unitTurns = 2;
    unit.judgeAxes = new String[0];
    unit.judgeScores = new double[0];
    List<Object> direct = new ArrayList<>();
    List<Object> combined;
    try (var pre = harness(1_000)) {
      for (Observation o : List.of(turn("*", 500, "t", 900), outcome, unit)) {
        process(pre, o);
        direct.add(new StreamRecord<>(o, o.eventTime));
      }
      pre.processWatermark(Long.MAX_VALUE);
      direct.add(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));
      combined = new ArrayList<>(pre.getOutput());
    }
    assertThat(combined.stream().filter(o -> o instanceof StreamRecord<?>)).singleElement()
        .satisfies(r -> assertThat(((Observation) ((StreamRecord<?>) r).getValue()).kind).isEqualTo(Observation.PARTIAL));
    assertThat(windowsFrom(combined)).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyInAnyOrderElementsOf(windowsFrom(direct));
  }

  private static void process(OneInputStreamOperatorTestHarness<Observation, Observation> harness, Observation o) {
    try {
      harness.processElement(o, o.eventTime);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
