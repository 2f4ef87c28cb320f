package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import dev.arbiter.core.WindowStats;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The local half of a local-global aggregation (as Flink SQL's two-phase aggregation): turns of
 * the same (experiment, variant, segment) window are combined into one {@link WindowStats} before
 * the shuffle, so the {@link WindowAggregator} reads and writes its keyed state once per bundle
 * instead of once per turn.
 *
 * <p>Results are unchanged. Only turns whose window has not ended by this subtask's watermark are
 * combined; the window operator's watermark is never ahead of that, so it would have counted them
 * as on time too. A bundle entry is emitted before a watermark that reaches its window's end
 * passes downstream, so it arrives while its window is open and not yet late; turns that may be
 * late, outcomes, judge scores and unit values pass through one by one, so the window operator
 * judges them exactly as before. Everything is emitted before each checkpoint barrier, so the
 * bundle holds no state and exactly-once is kept by the window operator's own state.
 */
public class WindowPreAggregator extends AbstractStreamOperator<Observation>
    implements OneInputStreamOperator<Observation, Observation> {

  private record WindowKey(String windowKey, long start) {}

  /** The first turn of an entry (its key fields) and the combined stats of all of them. */
  private record Entry(Observation first, WindowStats stats) {}

  private final int maxEntries;
  private transient Map<WindowKey, Entry> bundle;
  private transient long watermark;

  /** @param maxEntries windows held at most; a full bundle is emitted whole */
  public WindowPreAggregator(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  @Override
  public void open() throws Exception {
    super.open();
    bundle = new HashMap<>();
    watermark = Long.MIN_VALUE;
  }

  @Override
  public void processElement(StreamRecord<Observation> element) {
    Observation turn = element.getValue();
    if (turn.kind != Observation.TURN) {
      output.collect(element);
      return;
    }
    long start = turn.windowStart();
    if (start + turn.windowMs - 1 <= watermark) {
      output.collect(element);
      return;
    }
    Entry entry = bundle.get(new WindowKey(turn.windowKey, start));
    if (entry == null) {
      if (bundle.size() >= maxEntries) {
        emitAll();
      }
      entry = new Entry(turn, new WindowStats(start, turn.windowMs, turn.allowedLatenessMs, turn.definitionVersion));
      bundle.put(new WindowKey(turn.windowKey, start), entry);
    }
    entry.stats().add(turn, false);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    Iterator<Map.Entry<WindowKey, Entry>> entries = bundle.entrySet().iterator();
    while (entries.hasNext()) {
      Map.Entry<WindowKey, Entry> next = entries.next();
      Entry entry = next.getValue();
      if (entry.stats().windowEnd() - 1 <= mark.getTimestamp()) {
        emit(entry);
        entries.remove();
      }
    }
    watermark = Math.max(watermark, mark.getTimestamp());
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    emitAll();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    emitAll();
    super.finish();
  }

  private void emitAll() {
    bundle.values().forEach(this::emit);
    bundle.clear();
  }

  private void emit(Entry entry) {
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
    output.collect(new StreamRecord<>(partial, partial.eventTime));
  }

  static byte[] serialize(WindowStats stats) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
      stats.writeTo(new DataOutputStream(bytes));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
