package dev.arbiter.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The units a unit-tracker subtask touched lately, on the heap in front of their keyed state.
 *
 * <p>A conversation's turns, outcome and judge scores arrive close together, and each used to read
 * its unit from RocksDB and write it back: most of the unit tracker's time. Here a unit is read
 * from state once, changed in place, and written back when it is dropped (the units touched longest
 * ago go when more than the capacity are held) and at every checkpoint, before its barrier, so the
 * snapshot holds every change.
 * Between write-backs the state backend may hold an older value of a unit; only the unit tracker
 * reads it, through this class.
 *
 * <p>Expiry follows the unit state's time-to-live: a unit not changed or written for
 * {@code ttlMs} is forgotten here as its stored copy is there. Its stored copy is written at
 * write-back rather than at each change, so it expires up to one write-back interval later than a
 * unit written on every turn would.
 */
public final class RecentUnits {

  /** Writes one unit to its keyed state. */
  @FunctionalInterface
  public interface Writer {
    void write(String unitKey, UnitState unit) throws Exception;
  }

  private static final class Entry {
    final UnitState unit;
    boolean dirty;
    /** Processing time of the unit's last change or write, whichever is later. */
    long stamp;

    Entry(UnitState unit, long stamp) {
      this.unit = unit;
      this.stamp = stamp;
    }
  }

  private final int capacity;
  private final long ttlMs;
  /** In access order: the units touched longest ago come first. */
  private final LinkedHashMap<String, Entry> entries;
  private int dirty;

  /**
   * @param capacity units held before the oldest are dropped (at least 1)
   * @param ttlMs the unit state's time-to-live
   */
  public RecentUnits(int capacity, long ttlMs) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  /** The held unit, or null when it is not held (read it from state and {@link #loaded} it) or has expired. */
  public UnitState get(String unitKey, long now) {
    Entry entry = entries.get(unitKey);
    if (entry == null) {
      return null;
    }
    if (now - entry.stamp >= ttlMs) {
      // Its stored copy was written no later than the stamp, so it has expired there too.
      entries.remove(unitKey);
      if (entry.dirty) {
        dirty--;
      }
      return null;
    }
    return entry.unit;
  }

  /** Holds a unit just read from state, unchanged. */
  public void loaded(String unitKey, UnitState unit, long now) {
    entries.put(unitKey, new Entry(unit, now));
  }

  /** Holds a new or changed unit until the next write-back. */
  public void changed(String unitKey, UnitState unit, long now) {
    Entry entry = entries.get(unitKey);
    if (entry == null || entry.unit != unit) {
      Entry previous = entries.put(unitKey, entry = new Entry(unit, now));
      if (previous != null && previous.dirty) {
        dirty--;
      }
    }
    if (!entry.dirty) {
      entry.dirty = true;
      dirty++;
    }
    entry.stamp = now;
  }

  /** More units are held than the capacity: time for {@link #dropOldest}. */
  public boolean full() {
    return entries.size() > capacity;
  }

  public int size() {
    return entries.size();
  }

  /** Units changed since they were last written. */
  public int dirty() {
    return dirty;
  }

  /**
   * Writes every changed unit and keeps holding them all: before a checkpoint barrier, so that the
   * snapshot has every change.
   *
   * @return the units written
   */
  public int writeBack(Writer writer, long now) throws Exception {
    int written = 0;
    for (Map.Entry<String, Entry> held : entries.entrySet()) {
      Entry entry = held.getValue();
      if (entry.dirty) {
        writer.write(held.getKey(), entry.unit);
        entry.dirty = false;
        entry.stamp = now;
        written++;
      }
    }
    dirty = 0;
    return written;
  }

  /**
   * Drops the units touched longest ago until three quarters of the capacity are held, so the next
   * drop is not due at once, writing the changed ones among them first.
   *
   * @return the units written
   */
  public int dropOldest(Writer writer) throws Exception {
    int keep = capacity - capacity / 4;
    int written = 0;
    Iterator<Map.Entry<String, Entry>> oldestFirst = entries.entrySet().iterator();
    while (entries.size() > keep && oldestFirst.hasNext()) {
      Map.Entry<String, Entry> held = oldestFirst.next();
      if (held.getValue().dirty) {
        writer.write(held.getKey(), held.getValue().unit);
        dirty--;
        written++;
      }
      oldestFirst.remove();
    }
    return written;
  }
}
