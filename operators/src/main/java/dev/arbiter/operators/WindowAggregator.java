package dev.arbiter.operators;

import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Segments;
import dev.arbiter.core.Observation;
import dev.arbiter.core.RecentWindows;
import dev.arbiter.core.WindowBounds;
import dev.arbiter.core.WindowStats;
import dev.arbiter.wire.Rejection;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.util.Collector;

/**
 * Tumbling event-time windows per (experiment, variant, segment), sized by each experiment's
 * definition (which is why this is a process function and not a fixed Flink window). A window
 * closes once, when the watermark passes its end plus the allowed lateness, and emits one final
 * {@link WindowSummary}; a turn for an already closed window is late and dead-lettered.
 *
 * <p>Run by {@link RecentStateOperator}, which holds recently touched windows on the heap in front
 * of their state ({@link RecentWindows}) and writes them back; run on its own, every change is
 * written at once.
 */
public class WindowAggregator extends KeyedProcessFunction<String, Observation, WindowSummary> implements HoldsRecentState {

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
  /** Null: every change goes straight to {@link #windows}. */
  private transient RecentWindows recent;
  /**
   * The {@link #spans} of the keys touched lately ({@link #NO_SPANS} for none), written through:
   * every window opened and every timer read them, a RocksDB read each, and they rarely change.
   * Null while {@link #recent} is.
   */
  private transient Map<String, long[]> recentSpans;
  private static final long[] NO_SPANS = new long[0];
  /** Keys whose spans are held at most (about 150 bytes each), whatever the window capacity. */
  private static final int MAX_RECENT_SPANS = 100_000;
  /** Estimated heap the held windows may take, besides their number. */
  private final long recentMaxBytes;

  /** Windows held on the heap are bounded by number only. */
  public WindowAggregator() {
    this(Long.MAX_VALUE);
  }

  /** @param recentMaxBytes estimated heap the windows held on the heap may take (see {@link RecentWindows}) */
  public WindowAggregator(long recentMaxBytes) {
    this.recentMaxBytes = recentMaxBytes;
  }

  @Override
  public void open(OpenContext openContext) {
    windows = getRuntimeContext().getMapState(WINDOWS);
    spans = getRuntimeContext().getState(SPANS);
    counters = new Counters(getRuntimeContext().getMetricGroup());
    counters.labelled("lateEvents", "handling", "in_window");
    counters.labelled("lateEvents", "handling", "dead_lettered");
  }

  @Override
  public void holdRecent(int capacity) {
    recent = new RecentWindows(capacity, recentMaxBytes);
    int spansHeld = Math.min(capacity, MAX_RECENT_SPANS);
    recentSpans = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
        return size() > spansHeld;
      }
    };
  }

  private long[] spans(String key) throws Exception {
    if (recentSpans == null) {
      return spans.value();
    }
    long[] known = recentSpans.get(key);
    if (known == null) {
      known = spans.value();
      recentSpans.put(key, known == null ? NO_SPANS : known);
      return known;
    }
    return known == NO_SPANS ? null : known;
  }

  private void setSpans(String key, long[] known) throws Exception {
    if (known == null) {
      spans.clear();
    } else {
      spans.update(known);
    }
    if (recentSpans != null) {
      recentSpans.put(key, known == null ? NO_SPANS : known);
    }
  }

  @Override
  public void writeBack(KeyContext keys, long now) throws Exception {
    if (recent != null) {
      recent.writeBack((key, start, stats) -> write(keys, key, start, stats));
    }
  }

  @Override
  public void dropOldestWhenFull(KeyContext keys) throws Exception {
    if (recent != null && recent.full()) {
      recent.dropOldest((key, start, stats) -> write(keys, key, start, stats));
    }
  }

  private void write(KeyContext keys, String key, long start, WindowStats stats) throws Exception {
    keys.setCurrentKey(key);
    windows.put(start, stats);
  }

  /** The open window of the current key starting at {@code start}, or null. */
  private WindowStats find(String key, long start) throws Exception {
    if (recent == null) {
      return windows.get(start);
    }
    WindowStats held = recent.get(key, start);
    if (held == null) {
      held = windows.get(start);
      if (held != null) {
        recent.loaded(key, start, held);
      }
    }
    return held;
  }

  private void store(String key, long start, WindowStats stats) throws Exception {
    if (recent == null) {
      windows.put(start, stats);
    } else {
      recent.changed(key, start, stats);
    }
  }

  @Override
  public void processElement(Observation turn, Context ctx, Collector<WindowSummary> out) throws Exception {
    long start = turn.windowStart();
    long close = WindowBounds.closeTime(start, turn.windowMs, turn.allowedLatenessMs);
    long watermark = ctx.timerService().currentWatermark();
    if (close <= watermark) {
      // One dead letter per turn: every turn has exactly one rollup observation. A moved first
      // turn is not an input record (the turn that moved it is judged on its own): no dead letter.
      if (Segments.ROLLUP.equals(turn.segment) && turn.kind != Observation.FIRST_TURN_MOVED) {
        counters.inc("lateEvents", "handling", "dead_lettered");
        counters.deadLetter(Rejection.LATE_EVENT.code());
        ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.LATE_EVENT,
            (turn.kind == Observation.PARTIAL ? "turns combined upstream" : "request " + turn.requestId) + " arrived after window [" + start + ", " + (start + turn.windowMs)
                + ") of variant " + turn.variantId + " closed (watermark " + watermark + ")",
            null, turn.sourceTopic, turn.sourcePartition, turn.sourceOffset, turn.experimentId, turn.eventTime));
      }
      return;
    }
    String key = ctx.getCurrentKey();
    WindowStats stats = find(key, start);
    if (turn.kind == Observation.PARTIAL) {
      // Combined upstream from turns that were on time there, and so on time here (see WindowPreAggregator).
      WindowStats partial = WindowPreAggregator.deserialize(turn.partialStats);
      if (stats == null) {
        stats = partial;
        openWindow(key, start, close, ctx);
      } else {
        stats.merge(partial);
      }
      store(key, start, stats);
      return;
    }
    if (stats == null) {
      stats = new WindowStats(start, turn.windowMs, turn.allowedLatenessMs, turn.definitionVersion);
      openWindow(key, start, close, ctx);
    }
    boolean late = start + turn.windowMs - 1 <= watermark;
    if (late && Segments.ROLLUP.equals(turn.segment) && turn.kind != Observation.FIRST_TURN_MOVED) {
      // Past the window's end but within its allowed lateness: counted in the window (late_events).
      counters.inc("lateEvents", "handling", "in_window");
    }
    stats.add(turn, late);
    store(key, start, stats);
  }

  private void openWindow(String key, long start, long close, Context ctx) throws Exception {
    ctx.timerService().registerEventTimeTimer(close);
    long span = close - start;
    long[] known = spans(key);
    if (known == null) {
      setSpans(key, new long[] {span});
    } else if (Arrays.stream(known).noneMatch(s -> s == span)) {
      long[] more = Arrays.copyOf(known, known.length + 1);
      more[known.length] = span;
      setSpans(key, more);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<WindowSummary> out) throws Exception {
    String currentKey = ctx.getCurrentKey();
    String[] key = currentKey.split(String.valueOf(Observation.KEY_SEPARATOR), 3);
    long[] known = spans(currentKey);
    if (known == null) {
      // No spans (state from before they were kept, or dropped early): look at every open window.
      TreeSet<Long> starts = new TreeSet<>();
      for (Map.Entry<Long, WindowStats> entry : windows.entries()) {
        starts.add(entry.getKey());
      }
      if (recent != null) {
        starts.addAll(recent.startsOf(currentKey));
      }
      for (Long start : starts) {
        WindowStats stats = find(currentKey, start);
        if (stats.closeTime() <= timestamp) {
          closeWindow(currentKey, start, stats, key, out);
        }
      }
      return;
    }
    boolean followed = false;
    boolean closedAny = false;
    for (long span : known) {
      long start = timestamp - span;
      WindowStats stats = find(currentKey, start);
      if (stats != null && stats.closeTime() <= timestamp) {
        closeWindow(currentKey, start, stats, key, out);
        closedAny = true;
        followed |= isOpen(currentKey, start + stats.windowMs());
      }
    }
    // Spans are a hint: without them a timer looks at every open window. So they are dropped when
    // the closed window has no open successor, a point lookup, instead of asking whether any window
    // is still open, a RocksDB seek over the tombstones of closed ones (a seventh of this operator).
    if (closedAny && !followed) {
      setSpans(currentKey, null);
    }
  }

  private boolean isOpen(String currentKey, long start) throws Exception {
    return (recent != null && recent.get(currentKey, start) != null) || windows.contains(start);
  }

  private void closeWindow(String currentKey, long start, WindowStats stats, String[] key, Collector<WindowSummary> out) throws Exception {
    counters.counter("windowsClosed").inc();
    out.collect(summary(key[0], key[1], key[2], stats));
    // A window opened and closed between two checkpoints never reached state: nothing to remove.
    if (recent == null || recent.release(currentKey, start)) {
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
