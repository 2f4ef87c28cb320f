package dev.arbiter.core;

/** Tumbling windows aligned to multiples of the window size since the epoch. */
public final class WindowBounds {
  private WindowBounds() {}

  public static long startOf(long eventTime, long windowMs) {
    return eventTime - Math.floorMod(eventTime, windowMs);
  }

  /**
   * The event time at which a window closes and is evaluated: its last millisecond plus the
   * allowed lateness. Closing once, after the lateness, makes each window's summary final, so a
   * replay yields the same decisions.
   */
  public static long closeTime(long windowStart, long windowMs, long allowedLatenessMs) {
    return windowStart + windowMs - 1 + allowedLatenessMs;
  }
}
