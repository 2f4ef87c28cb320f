package dev.arbiter.job.simulate;

/**
 * Token-bucket pacing of a load generator: {@link #acquire()} hands out permits at a steady rate,
 * lets a caller that fell behind catch up by at most {@code burst} permits, and sleeps instead of
 * spinning. Permits are reserved on a schedule (the next free instant advances by one interval per
 * permit), so short waits are not slept one by one: a caller sleeps only once it is at least
 * {@link #MIN_SLEEP_NANOS} ahead of the schedule, which keeps the average rate exact and the
 * number of sleeps small at high rates.
 */
public final class Pacer {
  /** Shorter sleeps cost more than they are worth; being this far ahead is tolerated. */
  static final long MIN_SLEEP_NANOS = 1_000_000;

  /** The time source, replaceable in tests. */
  public interface Clock {
    long nanoTime();

    void sleepNanos(long nanos) throws InterruptedException;

    Clock SYSTEM = new Clock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public void sleepNanos(long nanos) throws InterruptedException {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
      }
    };
  }

  private final Clock clock;
  private final double intervalNanos;
  private final double burstNanos;
  private double nextFree;
  private long sleeps;

  /**
   * @param permitsPerSecond the target rate, above 0
   * @param burst how many permits a caller that fell behind may take without waiting, at least 1
   */
  public Pacer(double permitsPerSecond, int burst, Clock clock) {
    if (!(permitsPerSecond > 0) || burst < 1) {
      throw new IllegalArgumentException("rate must be above 0 and burst at least 1, got " + permitsPerSecond + " and " + burst);
    }
    this.clock = clock;
    this.intervalNanos = 1e9 / permitsPerSecond;
    this.burstNanos = burst * intervalNanos;
    this.nextFree = clock.nanoTime();
  }

  /** Waits until the next permit is due (sleeping, never spinning) and takes it. */
  public void acquire() throws InterruptedException {
    long now = clock.nanoTime();
    // A caller that was slow (or idle) may catch up, but only by the burst.
    nextFree = Math.max(nextFree, now - burstNanos);
    double wait = nextFree - now;
    if (wait >= MIN_SLEEP_NANOS) {
      sleeps++;
      clock.sleepNanos((long) wait);
    }
    nextFree += intervalNanos;
  }

  /** How many times {@link #acquire()} slept. */
  public long sleeps() {
    return sleeps;
  }
}
