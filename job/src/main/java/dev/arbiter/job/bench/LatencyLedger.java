package dev.arbiter.job.bench;

import dev.arbiter.core.WindowBounds;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The decision-latency benchmark's bookkeeping, free of Kafka and Flink. Fed the broker's append
 * time of every input event, it knows for each (experiment, window) when the window's last event
 * was appended, and for each window when the watermark could first pass its close: the moment
 * every partition holds an event at least out-of-orderness past the close (Flink's bounded
 * out-of-orderness watermark is the newest event time minus the bound minus 1 ms, and a window's
 * timer is at its last millisecond plus the allowed lateness). A command's latency is measured
 * from both.
 */
final class LatencyLedger {

  /** One experiment's window. */
  record WindowKey(String experimentId, long windowStart) {}

  /** A command's latencies; {@code sinceWatermarkReadyMs} is empty when some partition never passed the close. */
  record Latency(WindowKey window, long sinceLastEventMs, OptionalLong sinceWatermarkReadyMs) {}

  /** Nearest-rank percentiles of a sample. */
  record Spread(int count, long p50, long p95, long max) {
    static Spread of(Collection<Long> values) {
      if (values.isEmpty()) {
        return new Spread(0, 0, 0, 0);
      }
      long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
      return new Spread(sorted.length, rank(sorted, 0.50), rank(sorted, 0.95), sorted[sorted.length - 1]);
    }

    private static long rank(long[] sorted, double q) {
      int index = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    String describe() {
      return count == 0 ? "-" : String.format("%,d / %,d / %,d", p50, p95, max);
    }
  }

  private final long windowMs;
  /** Event time past a window's end before the watermark can pass its close: allowed lateness + out-of-orderness. */
  private final long watermarkWaitMs;
  private final int partitions;
  private final Map<WindowKey, Long> lastAppend = new HashMap<>();
  /** Per partition: window start -> append time of the partition's first event that lets the watermark pass the close. */
  private final List<Map<Long, Long>> readyAt = new ArrayList<>();
  private final long[] newestEventTime;

  LatencyLedger(long windowMs, long allowedLatenessMs, long outOfOrdernessMs, int partitions) {
    this.windowMs = windowMs;
    this.watermarkWaitMs = allowedLatenessMs + outOfOrdernessMs;
    this.partitions = partitions;
    this.newestEventTime = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      readyAt.add(new HashMap<>());
      newestEventTime[p] = Long.MIN_VALUE;
    }
  }

  /** The event time an event must reach for the watermark to pass the close of the window at {@code windowStart}. */
  long watermarkThreshold(long windowStart) {
    return WindowBounds.closeTime(windowStart, windowMs, watermarkWaitMs) + 1;
  }

  /**
   * Notes one appended event. Called in append order per partition (a producer's callbacks are),
   * though partitions may interleave.
   */
  synchronized void appended(String experimentId, long eventTime, int partition, long appendTimeMs) {
    lastAppend.merge(new WindowKey(experimentId, WindowBounds.startOf(eventTime, windowMs)), appendTimeMs, Math::max);
    long newest = newestEventTime[partition];
    if (eventTime <= newest) {
      return;
    }
    newestEventTime[partition] = eventTime;
    if (newest == Long.MIN_VALUE) {
      // The partition's first event: windows it already passes held nothing of this run.
      return;
    }
    // Windows whose threshold lies in (newest, eventTime]: this event is the first on its partition to pass them.
    long firstStart = WindowBounds.startOf(newest - windowMs - watermarkWaitMs, windowMs) + windowMs;
    for (long start = firstStart; watermarkThreshold(start) <= eventTime; start += windowMs) {
      readyAt.get(partition).putIfAbsent(start, appendTimeMs);
    }
  }

  /** When the watermark could first pass the window's close: the latest of the partitions' first passing appends. */
  synchronized OptionalLong watermarkReady(long windowStart) {
    long latest = Long.MIN_VALUE;
    for (Map<Long, Long> partition : readyAt) {
      Long at = partition.get(windowStart);
      if (at == null) {
        return OptionalLong.empty();
      }
      latest = Math.max(latest, at);
    }
    return partitions == 0 ? OptionalLong.empty() : OptionalLong.of(latest);
  }

  synchronized OptionalLong lastAppend(String experimentId, long windowStart) {
    Long at = lastAppend.get(new WindowKey(experimentId, windowStart));
    return at == null ? OptionalLong.empty() : OptionalLong.of(at);
  }

  /** The latencies of a command about the window that became readable at {@code readableAtMs}; empty if no event of that window was appended. */
  synchronized Optional<Latency> latency(String experimentId, long windowStart, long readableAtMs) {
    OptionalLong last = lastAppend(experimentId, windowStart);
    if (last.isEmpty()) {
      return Optional.empty();
    }
    OptionalLong ready = watermarkReady(windowStart);
    return Optional.of(new Latency(new WindowKey(experimentId, windowStart), readableAtMs - last.getAsLong(),
        ready.isPresent() ? OptionalLong.of(readableAtMs - ready.getAsLong()) : OptionalLong.empty()));
  }
}
