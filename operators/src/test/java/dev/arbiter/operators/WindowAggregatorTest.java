package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Observation;
import dev.arbiter.core.UnitHash;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class WindowAggregatorTest {
  static final long WINDOW = 60_000;
  static final long LATENESS = 30_000;
  /** The first window [0, 60000) closes when the watermark reaches its last millisecond plus the lateness. */
  static final long CLOSE = WINDOW - 1 + LATENESS;

  static Observation turn(String segment, long eventTime, String request, double latency) {
    Observation o = new Observation();
    o.experimentId = "e";
    o.variantId = "treatment";
    o.segment = segment;
    o.windowKey = Observation.windowKey("e", "treatment", segment);
    o.definitionVersion = 1;
    o.windowMs = WINDOW;
    o.allowedLatenessMs = LATENESS;
    o.eventTime = eventTime;
    o.unitHash = UnitHash.of("u-" + request);
    o.requestId = request;
    o.latencyMs = latency;
    o.sourceTopic = "llm.turns";
    o.sourcePartition = 1;
    o.sourceOffset = 42;
    return o;
  }

  static KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary> harness() throws Exception {
    return ProcessFunctionTestHarnesses.forKeyedProcessFunction(new WindowAggregator(), o -> o.windowKey, Types.STRING);
  }

  @Test
  void windowClosesOnceAfterItsLatenessAndLeavesNoState() throws Exception {
    try (var harness = harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processElement(turn("*", 59_999, "b", 2000), 59_999);
      harness.processElement(turn("*", 61_000, "c", 3000), 61_000);
      harness.processWatermark(CLOSE - 1);
      assertThat(harness.extractOutputValues()).isEmpty();
      // Within the allowed lateness: still counted, and marked late.
      harness.processElement(turn("*", 30_000, "d", 4000), 30_000);
      harness.processWatermark(CLOSE);
      assertThat(harness.extractOutputValues()).singleElement().satisfies(w -> {
        assertThat(w.getWindowStart()).isEqualTo(0);
        assertThat(w.getWindowEnd()).isEqualTo(WINDOW);
        assertThat(w.getTurns()).isEqualTo(3);
        assertThat(w.getLateEvents()).isEqualTo(1);
        // DDSketch reports the lower nearest rank: of 1, 2 and 4 s the p95 is 2 s, within 1%.
        assertThat(w.getMetrics().get("latency_p95_ms")).isBetween(2000 * 0.99, 2000 * 1.01);
        assertThat(w.getMetrics().get("latency_p99_ms")).isBetween(2000 * 0.99, 2000 * 1.01);
      });
      harness.processWatermark(Long.MAX_VALUE);
      assertThat(harness.extractOutputValues()).hasSize(2);
      assertThat(harness.numEventTimeTimers()).isZero();
      assertThat(harness.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void aWindowAfterAGapClosesAfterItsPredecessorDroppedTheSpans() throws Exception {
    try (var harness = harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processElement(turn("*", 61_000, "b", 1000), 61_000);
      harness.processWatermark(CLOSE);
      assertThat(harness.numKeyedStateEntries()).as("window [60000, 120000) follows: it and the spans stay").isEqualTo(2);

      harness.processElement(turn("*", 3 * WINDOW + 1_000, "c", 1000), 3 * WINDOW + 1_000);
      harness.processWatermark(WINDOW + CLOSE);
      assertThat(harness.numKeyedStateEntries()).as("no window follows [60000, 120000) at once: only [180000, 240000) stays").isEqualTo(1);

      harness.processWatermark(3 * WINDOW + CLOSE);
      assertThat(harness.extractOutputValues()).extracting(WindowSummary::getWindowStart).containsExactly(0L, WINDOW, 3 * WINDOW);
      assertThat(harness.numKeyedStateEntries()).isZero();
      assertThat(harness.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void windowsOfAChangedWindowSizeCloseAtTheirOwnTimes() throws Exception {
    try (var harness = harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      // A later definition version shortens the window and drops the lateness; [60000, 75000) closes first.
      Observation shorter = turn("*", 61_000, "b", 2000);
      shorter.windowMs = WINDOW / 4;
      shorter.allowedLatenessMs = 0;
      shorter.definitionVersion = 2;
      harness.processElement(shorter, 61_000);
      harness.processWatermark(WINDOW + WINDOW / 4 - 1);
      assertThat(harness.extractOutputValues()).singleElement()
          .satisfies(w -> assertThat(w.getWindowStart()).isEqualTo(WINDOW));
      harness.processWatermark(CLOSE);
      assertThat(harness.extractOutputValues()).hasSize(2).last()
          .satisfies(w -> assertThat(w.getWindowStart()).isZero());
      assertThat(harness.numKeyedStateEntries()).as("no open window, no spans left").isZero();
    }
  }

  @Test
  void turnForAClosedWindowIsDeadLetteredOncePerTurn() throws Exception {
    try (var harness = harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processWatermark(CLOSE);
      harness.processElement(turn("*", 2_000, "late", 1000), 2_000);
      harness.processElement(turn("device=mobile", 2_000, "late", 1000), 2_000);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue)
          .singleElement().satisfies((DeadLetter d) -> {
            assertThat(d.getReason()).isEqualTo("late_event");
            assertThat(d.getSourceOffset()).isEqualTo(42);
            assertThat(d.getSourcePartition()).isEqualTo(1);
            assertThat(d.getEventTime()).isEqualTo(2_000);
          });
      assertThat(harness.extractOutputValues()).singleElement().extracting(WindowSummary::getTurns).isEqualTo(1L);
      assertThat(harness.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void openWindowsSurviveASnapshotAndRestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processElement(turn("*", 2_000, "b", 2000), 2_000);
      snapshot = harness.snapshot(1, 3_000);
    }
    try (var restored = new KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary>(
        new KeyedProcessOperator<>(new WindowAggregator()), o -> o.windowKey, Types.STRING)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.processElement(turn("*", 3_000, "c", 3000), 3_000);
      restored.processWatermark(CLOSE);
      assertThat(restored.extractOutputValues()).singleElement().satisfies(w -> {
        assertThat(w.getTurns()).isEqualTo(3);
        assertThat(w.getUnits()).isEqualTo(3);
      });
    }
  }
}
