package dev.arbiter.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The open windows a window-aggregator subtask touched lately, on the heap in front of their keyed
 * state, grouped by key (experiment, variant, segment).
 *
 * <p>Every partial and every turn used to read its window from RocksDB, decode its four sketches,
 * merge and encode them back, and the window's timer read it once more to close it. Here a window is
 * read from state at most once, merged in place, and written only when it is dropped (the keys
 * touched longest ago go when more windows than the capacity are held) or at a checkpoint, before
 * its barrier, so the snapshot holds every change. A window that opens and closes between two
 * checkpoints never reaches state at all. Between write-backs the state backend may hold an older
 * copy of a window, or none; only the window aggregator reads it, through this class.
 */
public final class RecentWindows {

  /** Writes one window to its keyed state. */
  @FunctionalInterface
  public interface Writer {
    void write(String key, long start, WindowStats stats) throws Exception;
  }

  private static final class Held {
    final long start;
    final WindowStats stats;
    boolean dirty;
    /** State holds a copy (maybe an older one), which closing the window must remove. */
    boolean stored;
    /** {@link WindowStats#estimatedHeapBytes} when last held or changed. */
    long bytes;

    Held(long start, WindowStats stats, boolean dirty, boolean stored) {
      this.start = start;
      this.stats = stats;
      this.dirty = dirty;
      this.stored = stored;
      this.bytes = stats.estimatedHeapBytes();
    }
  }

  private final int capacity;
  private final long maxBytes;
  /** Estimated heap of the held windows. */
  private long bytes;
  /** Per key in access order, the keys touched longest ago first; a key has one or a few open windows. */
  private final LinkedHashMap<String, List<Held>> keys = new LinkedHashMap<>(16, 0.75f, true);
  private int size;

  /** Holds at most {@code capacity} windows, whatever their size. */
  public RecentWindows(int capacity) {
    this(capacity, Long.MAX_VALUE);
  }

  /**
   * @param capacity windows held before the keys touched longest ago are dropped (at least 1)
   * @param maxBytes estimated heap of the held windows before they are dropped likewise: a window
   *     of a few turns takes about 1.4 KB, one of 3,000 distinct units 42 KB, so a count alone
   *     bounds the heap only for one kind of input
   */
  public RecentWindows(int capacity, long maxBytes) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, was " + maxBytes);
    }
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  private Held find(String key, long start) {
    List<Held> windows = keys.get(key);
    if (windows != null) {
      for (Held held : windows) {
        if (held.start == start) {
          return held;
        }
      }
    }
    return null;
  }

  /** The held window, or null when it is not held (read it from state and {@link #loaded} it, or open it). */
  public WindowStats get(String key, long start) {
    Held held = find(key, start);
    return held == null ? null : held.stats;
  }

  /** Holds a window just read from state, unchanged. */
  public void loaded(String key, long start, WindowStats stats) {
    hold(key, new Held(start, stats, false, true));
  }

  /** Marks a held window changed, or holds a window just opened, until the next write-back. */
  public void changed(String key, long start, WindowStats stats) {
    Held held = find(key, start);
    if (held == null) {
      hold(key, new Held(start, stats, true, false));
    } else if (held.stats != stats) {
      throw new IllegalStateException("window " + start + " of " + key + " is held as another object");
    } else {
      held.dirty = true;
      long now = stats.estimatedHeapBytes();
      bytes += now - held.bytes;
      held.bytes = now;
    }
  }

  private void hold(String key, Held held) {
    keys.computeIfAbsent(key, k -> new ArrayList<>(2)).add(held);
    size++;
    bytes += held.bytes;
  }

  /**
   * Forgets a window that has closed.
   *
   * @return whether state may hold a copy that the caller must remove: true for a window not held
   */
  public boolean release(String key, long start) {
    List<Held> windows = keys.get(key);
    if (windows == null) {
      return true;
    }
    for (Iterator<Held> it = windows.iterator(); it.hasNext(); ) {
      Held held = it.next();
      if (held.start == start) {
        it.remove();
        size--;
        bytes -= held.bytes;
        if (windows.isEmpty()) {
          keys.remove(key);
        }
        return held.stored;
      }
    }
    return true;
  }

  /** Starts of the key's held windows, whether or not state has them yet. */
  public List<Long> startsOf(String key) {
    List<Held> windows = keys.get(key);
    List<Long> starts = new ArrayList<>(windows == null ? 0 : windows.size());
    if (windows != null) {
      windows.forEach(held -> starts.add(held.start));
    }
    return starts;
  }

  /** More windows, or more bytes, are held than allowed: time for {@link #dropOldest}. */
  public boolean full() {
    return size > capacity || bytes > maxBytes;
  }

  public int size() {
    return size;
  }

  /** Estimated heap of the held windows. */
  public long bytes() {
    return bytes;
  }

  /**
   * Writes every changed window and keeps holding them all: before a checkpoint barrier, so that
   * the snapshot has every change.
   *
   * @return the windows written
   */
  public int writeBack(Writer writer) throws Exception {
    int written = 0;
    for (Map.Entry<String, List<Held>> key : keys.entrySet()) {
      for (Held held : key.getValue()) {
        if (held.dirty) {
          writer.write(key.getKey(), held.start, held.stats);
          held.dirty = false;
          held.stored = true;
          written++;
        }
      }
    }
    return written;
  }

  /**
   * Drops the keys touched longest ago until at most three quarters of the capacity and of the
   * byte budget are held, so the next drop is not due at once, writing their changed windows first.
   *
   * @return the windows written
   */
  public int dropOldest(Writer writer) throws Exception {
    int keep = capacity - capacity / 4;
    long keepBytes = maxBytes - maxBytes / 4;
    int written = 0;
    Iterator<Map.Entry<String, List<Held>>> oldestFirst = keys.entrySet().iterator();
    while ((size > keep || bytes > keepBytes) && oldestFirst.hasNext()) {
      Map.Entry<String, List<Held>> key = oldestFirst.next();
      for (Held held : key.getValue()) {
        if (held.dirty) {
          writer.write(key.getKey(), held.start, held.stats);
          written++;
        }
        bytes -= held.bytes;
      }
      size -= key.getValue().size();
      oldestFirst.remove();
    }
    return written;
  }
}
