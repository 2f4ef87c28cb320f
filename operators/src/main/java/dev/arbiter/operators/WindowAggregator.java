package dev.arbiter.operators;

import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Segments;
import dev.arbiter.core.Observation;
import dev.arbiter.core.WindowBounds;
import dev.arbiter.core.WindowStats;
import dev.arbiter.wire.Rejection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Tumbling event-time windows per (experiment, variant, segment), sized by each experiment's
 * definition (which is why this is a process function and not a fixed Flink window). A window
 * closes once, when the watermark passes its end plus the allowed lateness, and emits one final
 * {@link WindowSummary}; a turn for an already closed window is late and dead-lettered.
 */
public class WindowAggregator extends KeyedProcessFunction<String, Observation, WindowSummary> {

  @VisibleForTesting
  static final MapStateDescriptor<Long, WindowStats> WINDOWS =
      new MapStateDescriptor<>("open-windows", LongSerializer.INSTANCE, WindowStatsSerializer.INSTANCE);

  /**
   * Close time minus start of the windows this key has had (one value unless a definition changed
   * the window size or lateness), so a timer finds the windows it closes without reading them all.
   */
  @VisibleForTesting
  static final ValueStateDescriptor<long[]> SPANS =
      new ValueStateDescriptor<>("window-spans", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);

  private transient MapState<Long, WindowStats> windows;
  private transient ValueState<long[]> spans;
  private transient Counters counters;

  @Override
  public void open(OpenContext openContext) {
    windows = getRuntimeContext().getMapState(WINDOWS);
    spans = getRuntimeContext().getState(SPANS);
    counters = new Counters(getRuntimeContext().getMetricGroup());
    counters.labelled("lateEvents", "handling", "in_window");
    counters.labelled("lateEvents", "handling", "dead_lettered");
  }

  @Override
  public void processElement(Observation turn, Context ctx, Collector<WindowSummary> out) throws Exception {
    long start = turn.windowStart();
    long close = WindowBounds.closeTime(start, turn.windowMs, turn.allowedLatenessMs);
    long watermark = ctx.timerService().currentWatermark();
    if (close <= watermark) {
      // One dead letter per turn: every turn has exactly one rollup observation.
      if (Segments.ROLLUP.equals(turn.segment)) {
        counters.inc("lateEvents", "handling", "dead_lettered");
        counters.deadLetter(Rejection.LATE_EVENT.code());
        ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.LATE_EVENT,
            (turn.kind == Observation.PARTIAL ? "turns combined upstream" : "request " + turn.requestId) + " arrived after window [" + start + ", " + (start + turn.windowMs)
                + ") of variant " + turn.variantId + " closed (watermark " + watermark + ")",
            null, turn.sourceTopic, turn.sourcePartition, turn.sourceOffset, turn.experimentId, turn.eventTime));
      }
      return;
    }
    WindowStats stats = windows.get(start);
    if (turn.kind == Observation.PARTIAL) {
      // Combined upstream from turns that were on time there, and so on time here (see WindowPreAggregator).
      WindowStats partial = WindowPreAggregator.deserialize(turn.partialStats);
      if (stats == null) {
        stats = partial;
        openWindow(start, close, ctx);
      } else {
        stats.merge(partial);
      }
      windows.put(start, stats);
      return;
    }
    if (stats == null) {
      stats = new WindowStats(start, turn.windowMs, turn.allowedLatenessMs, turn.definitionVersion);
      openWindow(start, close, ctx);
    }
    boolean late = start + turn.windowMs - 1 <= watermark;
    if (late && Segments.ROLLUP.equals(turn.segment)) {
      // Past the window's end but within its allowed lateness: counted in the window (late_events).
      counters.inc("lateEvents", "handling", "in_window");
    }
    stats.add(turn, late);
    windows.put(start, stats);
  }

  private void openWindow(long start, long close, Context ctx) throws Exception {
    ctx.timerService().registerEventTimeTimer(close);
    long span = close - start;
    long[] known = spans.value();
    if (known == null) {
      spans.update(new long[] {span});
    } else if (Arrays.stream(known).noneMatch(s -> s == span)) {
      long[] more = Arrays.copyOf(known, known.length + 1);
      more[known.length] = span;
      spans.update(more);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<WindowSummary> out) throws Exception {
    String[] key = ctx.getCurrentKey().split(String.valueOf(Observation.KEY_SEPARATOR), 3);
    long[] known = spans.value();
    if (known == null) {
      // State from before spans were kept: look at every open window.
      List<Long> closed = new ArrayList<>();
      for (Map.Entry<Long, WindowStats> entry : windows.entries()) {
        if (entry.getValue().closeTime() <= timestamp) {
          closed.add(entry.getKey());
        }
      }
      for (Long start : closed) {
        closeWindow(start, windows.get(start), key, out);
      }
      return;
    }
    boolean followed = false;
    boolean closedAny = false;
    for (long span : known) {
      long start = timestamp - span;
      WindowStats stats = windows.get(start);
      if (stats != null && stats.closeTime() <= timestamp) {
        closeWindow(start, stats, key, out);
        closedAny = true;
        followed |= windows.contains(start + stats.windowMs());
      }
    }
    // Spans are a hint: without them a timer looks at every open window. So they are dropped when
    // the closed window has no open successor, a point lookup, instead of asking whether any window
    // is still open, a RocksDB seek over the tombstones of closed ones (a seventh of this operator).
    if (closedAny && !followed) {
      spans.clear();
    }
  }

  private void closeWindow(long start, WindowStats stats, String[] key, Collector<WindowSummary> out) throws Exception {
    counters.counter("windowsClosed").inc();
    out.collect(summary(key[0], key[1], key[2], stats));
    windows.remove(start);
  }

  @VisibleForTesting
  static WindowSummary summary(String experimentId, String variantId, String segment, WindowStats stats) {
    return WindowSummary.newBuilder()
        .setExperimentId(experimentId)
        .setDefinitionVersion(stats.definitionVersion())
        .setVariantId(variantId)
        .setSegment(segment)
        .setWindowStart(stats.windowStart())
        .setWindowEnd(stats.windowEnd())
        .setTurns(stats.turns())
        .setUnits(stats.units())
        .setNewUnits(stats.newUnits())
        .setErrors(stats.errors())
        .setUnsafe(stats.unsafe())
        .setEmptyResponses(stats.emptyResponses())
        .setCostUsd(stats.costUsd())
        .setPromptTokens(stats.promptTokens())
        .setCompletionTokens(stats.completionTokens())
        .setLateEvents(stats.lateEvents())
        .setSamples(stats.samples())
        .setUnitMoments(stats.unitMoments())
        .setMetrics(stats.metrics())
        .setEvidenceRequestIds(stats.evidenceRequestIds())
        .build();
  }
}
