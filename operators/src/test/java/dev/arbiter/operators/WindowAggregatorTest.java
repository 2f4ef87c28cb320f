package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Observation;
import dev.arbiter.core.UnitHash;
import dev.arbiter.core.WindowStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  /** The operator as the job runs it, on RocksDB, holding at most {@code recentWindows} windows on the heap. */
  static KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary> rocksDbHarness(int recentWindows,
      OperatorSubtaskState restored) throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(new RecentStateOperator<>(new WindowAggregator(), recentWindows),
        (Observation o) -> o.windowKey, Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    harness.setup();
    harness.initializeState(restored);
    harness.open();
    return harness;
  }

  /** The spans in keyed state of the treatment's rollup key. */
  static long[] storedSpans(KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary> harness) throws Exception {
    var backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(Observation.windowKey("e", "treatment", "*"));
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, WindowAggregator.SPANS).value();
  }

  static WindowStats stored(KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary> harness, String segment, long start)
      throws Exception {
    var backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(Observation.windowKey("e", "treatment", segment));
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, WindowAggregator.WINDOWS).get(start);
  }

  @Test
  void heldWindowsReachStateBeforeEveryCheckpointBarrierAndSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = rocksDbHarness(100, null)) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processElement(turn("*", 2_000, "b", 2000), 2_000);
      assertThat(stored(harness, "*", 0)).as("held on the heap, not yet written").isNull();
      harness.prepareSnapshotPreBarrier(1);
      assertThat(stored(harness, "*", 0)).as("written before the barrier").extracting(WindowStats::turns).isEqualTo(2L);
      snapshot = harness.snapshot(1, 3_000);
    }
    try (var restored = rocksDbHarness(100, snapshot)) {
      restored.processElement(turn("*", 3_000, "c", 3000), 3_000);
      restored.processWatermark(CLOSE);
      assertThat(restored.extractOutputValues()).singleElement().extracting(WindowSummary::getTurns).isEqualTo(3L);
      assertThat(stored(restored, "*", 0)).as("closed: its stored copy removed").isNull();
    }
  }

  @Test
  void aHeldWindowAfterAGapClosesThoughItsKeyHasNoSpansLeft() throws Exception {
    try (var harness = rocksDbHarness(100, null)) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      harness.processElement(turn("*", 2 * WINDOW + 1_000, "b", 1000), 2 * WINDOW + 1_000);
      // [0, 60000) closes with no window right after it, so the spans go; [120000, 180000) is only on the heap.
      harness.processWatermark(CLOSE);
      harness.processWatermark(2 * WINDOW + CLOSE);
      assertThat(harness.extractOutputValues()).extracting(WindowSummary::getWindowStart).containsExactly(0L, 2 * WINDOW);
      assertThat(stored(harness, "*", 2 * WINDOW)).isNull();
    }
  }

  /**
   * Random traffic over six keys (one sparse, so its windows have gaps), turns late within and
   * beyond the lateness, and partials, run once writing every change to RocksDB and once holding at
   * most two windows on the heap, with checkpoints and restores in between: the same summaries.
   */
  @Test
  void holdingWindowsOnTheHeapChangesNoSummary() throws Exception {
    Random random = new Random(20261202);
    List<Observation> script = new ArrayList<>();
    long time = 0;
    for (int i = 0; i < 3_000; i++) {
      time += random.nextInt(2_000);
      boolean sparse = random.nextInt(50) == 0;
      int dense = random.nextInt(5);
      String segment = sparse ? "sparse" : dense == 0 ? "*" : "s" + dense;
      long eventTime = random.nextInt(10) == 0 ? Math.max(0, time - random.nextInt(150_000)) : time;
      Observation o = turn(segment, eventTime, "r" + i, 100 + random.nextInt(5_000));
      if (random.nextInt(20) == 0) {
        WindowStats partial = new WindowStats(o.windowStart(), WINDOW, LATENESS, 1);
        partial.add(turn(segment, eventTime, "p" + i, 700), false);
        o.kind = Observation.PARTIAL;
        o.partialStats = WindowPreAggregator.serialize(partial);
      }
      script.add(o);
    }
    List<WindowSummary> direct = new ArrayList<>();
    int directLate;
    try (var harness = rocksDbHarness(0, null)) {
      directLate = replay(harness, script, 0, script.size());
      harness.processWatermark(Long.MAX_VALUE);
      direct.addAll(harness.extractOutputValues());
    }
    List<WindowSummary> held = new ArrayList<>();
    int heldLate = 0;
    OperatorSubtaskState snapshot = null;
    for (int from = 0, checkpoint = 1; from < script.size(); from += 700, checkpoint++) {
      try (var harness = rocksDbHarness(2, snapshot)) {
        heldLate += replay(harness, script, from, Math.min(script.size(), from + 700));
        if (from + 700 >= script.size()) {
          harness.processWatermark(Long.MAX_VALUE);
        } else {
          harness.prepareSnapshotPreBarrier(checkpoint);
          snapshot = harness.snapshot(checkpoint, checkpoint);
        }
        held.addAll(harness.extractOutputValues());
      }
    }
    assertThat(direct).as("many windows closed, some after gaps").hasSizeGreaterThan(100);
    assertThat(directLate).as("some turns beyond the lateness").isPositive();
    assertThat(held).containsExactlyInAnyOrderElementsOf(direct);
    assertThat(heldLate).isEqualTo(directLate);
  }

  /** Processes {@code script[from, to)} with a watermark 30 s behind the latest after every 25th; returns the late-event dead letters. */
  private static int replay(KeyedOneInputStreamOperatorTestHarness<String, Observation, WindowSummary> harness, List<Observation> script,
      int from, int to) throws Exception {
    if (from > 0) {
      // As after a restore in Flink: the watermark starts over until the sources send theirs again.
      harness.processWatermark(watermarkAfter(script, from - 1));
    }
    for (int i = from; i < to; i++) {
      Observation o = script.get(i);
      harness.processElement(o, o.eventTime);
      if (i % 25 == 24) {
        harness.processWatermark(watermarkAfter(script, i));
      }
    }
    var late = harness.getSideOutput(Outputs.DEAD_LETTERS);
    return late == null ? 0 : late.size();
  }

  private static long watermarkAfter(List<Observation> script, int index) {
    return script.subList(0, index + 1).stream().mapToLong(e -> e.eventTime).max().orElseThrow() - 30_000;
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

  @ParameterizedTest(name = "windows held on the heap: {0}")
  @ValueSource(booleans = {false, true})
  void windowsOfAChangedWindowSizeCloseAtTheirOwnTimes(boolean holding) throws Exception {
    try (var harness = holding ? rocksDbHarness(100, null) : harness()) {
      harness.processElement(turn("*", 1_000, "a", 1000), 1_000);
      // A later definition version shortens the window and drops the lateness; [60000, 75000) closes first.
      Observation shorter = turn("*", 61_000, "b", 2000);
      shorter.windowMs = WINDOW / 4;
      shorter.allowedLatenessMs = 0;
      shorter.definitionVersion = 2;
      harness.processElement(shorter, 61_000);
      if (holding) {
        // Spans are a hint (without them a timer scans the key's windows), so summaries cannot
        // show a stale heap copy of them; the spans it leaves in state can.
        assertThat(storedSpans(harness)).containsExactly(CLOSE, WINDOW / 4 - 1);
      }
      harness.processWatermark(WINDOW + WINDOW / 4 - 1);
      assertThat(harness.extractOutputValues()).singleElement()
          .satisfies(w -> assertThat(w.getWindowStart()).isEqualTo(WINDOW));
      harness.processWatermark(CLOSE);
      assertThat(harness.extractOutputValues()).hasSize(2).last()
          .satisfies(w -> assertThat(w.getWindowStart()).isZero());
      if (!holding) {
        // (The RocksDB harness cannot count entries.)
        assertThat(harness.numKeyedStateEntries()).as("no open window, no spans left").isZero();
      }
      // The same key again: its spans were dropped, so the new window must record its own to close.
      harness.processElement(turn("*", 5 * WINDOW + 1_000, "c", 1000), 5 * WINDOW + 1_000);
      if (holding) {
        assertThat(storedSpans(harness)).as("recorded again after they were dropped").containsExactly(CLOSE);
      }
      harness.processWatermark(5 * WINDOW + CLOSE);
      assertThat(harness.extractOutputValues()).hasSize(3).last()
          .satisfies(w -> assertThat(w.getWindowStart()).isEqualTo(5 * WINDOW));
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
