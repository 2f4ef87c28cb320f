package dev.arbiter.operators;

import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Segments;
import dev.arbiter.core.Observation;
import dev.arbiter.core.WindowBounds;
import dev.arbiter.core.WindowStats;
import dev.arbiter.wire.Rejection;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
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

  private transient MapState<Long, WindowStats> windows;
  private transient Counters counters;

  @Override
  public void open(OpenContext openContext) {
    windows = getRuntimeContext().getMapState(WINDOWS);
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
      WindowStats partial = WindowStats.readFrom(new DataInputStream(new ByteArrayInputStream(turn.partialStats)));
      if (stats == null) {
        stats = partial;
        ctx.timerService().registerEventTimeTimer(close);
      } else {
        stats.merge(partial);
      }
      windows.put(start, stats);
      return;
    }
    if (stats == null) {
      stats = new WindowStats(start, turn.windowMs, turn.allowedLatenessMs, turn.definitionVersion);
      ctx.timerService().registerEventTimeTimer(close);
    }
    boolean late = start + turn.windowMs - 1 <= watermark;
    if (late && Segments.ROLLUP.equals(turn.segment)) {
      // Past the window's end but within its allowed lateness: counted in the window (late_events).
      counters.inc("lateEvents", "handling", "in_window");
    }
    stats.add(turn, late);
    windows.put(start, stats);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<WindowSummary> out) throws Exception {
    String[] key = ctx.getCurrentKey().split(String.valueOf(Observation.KEY_SEPARATOR), 3);
    List<Long> closed = new ArrayList<>();
    for (Map.Entry<Long, WindowStats> entry : windows.entries()) {
      WindowStats stats = entry.getValue();
      if (stats.closeTime() <= timestamp) {
        closed.add(entry.getKey());
        counters.counter("windowsClosed").inc();
        out.collect(summary(key[0], key[1], key[2], stats));
      }
    }
    for (Long start : closed) {
      windows.remove(start);
    }
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
