package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import dev.arbiter.core.WindowStats;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * The local half of a local-global aggregation (as Flink SQL's two-phase aggregation): observations
 * of the same (experiment, variant, segment) window are combined into one {@link WindowStats}
 * before the shuffle, so the {@link WindowAggregator} receives, reads and writes its keyed state
 * about once per window and upstream subtask instead of once per observation.
 *
 * <p>Results are unchanged. Only observations whose window has not ended by this subtask's
 * watermark are combined; the window operator's watermark is never ahead of that, so it would have
 * counted them as on time too. An entry is emitted before a watermark that reaches its window's
 * end passes downstream, so it arrives while its window is open; observations that may be late
 * pass through one by one and the window operator judges them exactly as before.
 *
 * <p>Entries live until their window ends or this subtask goes idle, across checkpoints: the bundle is operator state, so an
 * entry is in exactly one place at a barrier (this snapshot, or already in the window operator's)
 * and exactly-once holds. Operator state is redistributed on rescaling; any subtask may emit any
 * entry, since the window operator is keyed downstream.
 */
public class WindowPreAggregator extends AbstractStreamOperator<Observation>
    implements OneInputStreamOperator<Observation, Observation> {

  static final ListStateDescriptor<Observation> BUNDLE =
      new ListStateDescriptor<>("window-bundle", TypeInformation.of(Observation.class));

  /** A window of one key; hand-written equals and hashCode, which a record's indy-based ones are slower than on this hot path. */
  private static final class WindowKey {
    private final String windowKey;
    private final long start;
    private final int hash;

    WindowKey(String windowKey, long start) {
      this.windowKey = windowKey;
      this.start = start;
      this.hash = 31 * windowKey.hashCode() + Long.hashCode(start);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof WindowKey key && hash == key.hash && start == key.start && windowKey.equals(key.windowKey);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** Key fields of the entry's window (from its first observation) and the combined stats. */
  private record Entry(WindowKey key, Observation first, WindowStats stats) {}

  private final int maxEntries;
  private transient Map<WindowKey, Entry> bundle;
  /** The same entries by window end, so a watermark touches only the windows it ends. */
  private transient TreeMap<Long, List<Entry>> byEnd;
  private transient ListState<Observation> snapshot;
  private transient long watermark;

  /** @param maxEntries windows held at most; a full bundle is emitted whole */
  public WindowPreAggregator(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    bundle = new HashMap<>();
    byEnd = new TreeMap<>();
    watermark = Long.MIN_VALUE;
    snapshot = context.getOperatorStateStore().getListState(BUNDLE);
    for (Observation partial : snapshot.get()) {
      WindowStats stats = deserialize(partial.partialStats);
      partial.partialStats = null;
      WindowKey key = new WindowKey(partial.windowKey, stats.windowStart());
      Entry held = bundle.get(key);
      if (held == null) {
        hold(new Entry(key, partial, stats));
      } else {
        held.stats().merge(stats);
      }
    }
  }

  private void hold(Entry entry) {
    bundle.put(entry.key(), entry);
    byEnd.computeIfAbsent(entry.stats().windowEnd(), end -> new ArrayList<>()).add(entry);
  }

  @Override
  public void processElement(StreamRecord<Observation> element) {
    Observation observation = element.getValue();
    long start = observation.windowStart();
    if (observation.kind == Observation.PARTIAL || start + observation.windowMs - 1 <= watermark) {
      output.collect(element);
      return;
    }
    WindowKey key = new WindowKey(observation.windowKey, start);
    Entry entry = bundle.get(key);
    if (entry == null) {
      if (bundle.size() >= maxEntries) {
        emitAll();
      }
      entry = new Entry(key, observation, new WindowStats(start, observation.windowMs, observation.allowedLatenessMs,
          observation.definitionVersion));
      hold(entry);
    }
    entry.stats().add(observation, false);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    // A window [start, end) has ended once the watermark reaches end - 1.
    while (!byEnd.isEmpty() && byEnd.firstKey() - 1 <= mark.getTimestamp()) {
      for (Entry entry : byEnd.pollFirstEntry().getValue()) {
        emit(entry);
        bundle.remove(entry.key());
      }
    }
    watermark = Math.max(watermark, mark.getTimestamp());
    super.processWatermark(mark);
  }

  /**
   * Emits every held entry before an idle status passes downstream: the window operator leaves an
   * idle channel out of its watermark, so it could close a window while this subtask still held
   * part of it, and the entry would then arrive late. (Under load, sources at start-up went idle
   * for 100 ms while entries of four windows were held here; all of them were dead-lettered.)
   * Emitted early, an entry is only a smaller partial of its window.
   */
  @Override
  public void processWatermarkStatus(WatermarkStatus status) throws Exception {
    if (status.isIdle()) {
      emitAll();
    }
    super.processWatermarkStatus(status);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    List<Observation> held = new ArrayList<>(bundle.size());
    bundle.values().forEach(entry -> held.add(partial(entry)));
    snapshot.update(held);
  }

  @Override
  public void finish() throws Exception {
    emitAll();
    super.finish();
  }

  private void emitAll() {
    bundle.values().forEach(this::emit);
    bundle.clear();
    byEnd.clear();
  }

  private void emit(Entry entry) {
    Observation partial = partial(entry);
    output.collect(new StreamRecord<>(partial, partial.eventTime));
  }

  private static Observation partial(Entry entry) {
    Observation first = entry.first();
    Observation partial = new Observation();
    partial.kind = Observation.PARTIAL;
    partial.experimentId = first.experimentId;
    partial.variantId = first.variantId;
    partial.segment = first.segment;
    partial.windowKey = first.windowKey;
    partial.definitionVersion = entry.stats().definitionVersion();
    partial.windowMs = first.windowMs;
    partial.allowedLatenessMs = first.allowedLatenessMs;
    partial.eventTime = entry.stats().windowStart();
    partial.partialStats = serialize(entry.stats());
    return partial;
  }

  /** One buffer per thread, grown once to the largest window, instead of a growing stream per entry. */
  private static final ThreadLocal<DataOutputSerializer> BUFFER = ThreadLocal.withInitial(() -> new DataOutputSerializer(4096));

  static byte[] serialize(WindowStats stats) {
    DataOutputSerializer buffer = BUFFER.get();
    buffer.clear();
    try {
      stats.writeTo(buffer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.getCopyOfBuffer();
  }

  static WindowStats deserialize(byte[] bytes) {
    try {
      return WindowStats.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
