package dev.arbiter.job.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Token-bucket pacing on a simulated clock: the rate holds, catch-up is bounded, and nothing spins. */
class PacerTest {

  /** A clock that only moves when someone sleeps on it or the test advances it. */
  static final class FakeClock implements Pacer.Clock {
    long now = 1_000_000_000L;
    long slept;

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleepNanos(long nanos) {
      now += nanos;
      slept += nanos;
    }
  }

  @Test
  void permitsComeAtTheTargetRate() throws Exception {
    FakeClock clock = new FakeClock();
    Pacer pacer = new Pacer(1_000, 100, clock);
    for (int i = 0; i < 10_000; i++) {
      pacer.acquire();
    }
    // 10,000 permits at 1,000/s take 10 s, less the one interval that is free at the start and the 1 ms tolerance.
    assertThat(clock.slept / 1e9).isBetween(9.98, 10.0);
  }

  @Test
  void highRatesSleepInMillisecondStepsNotPerPermit() throws Exception {
    FakeClock clock = new FakeClock();
    Pacer pacer = new Pacer(200_000, 20_000, clock);
    for (int i = 0; i < 400_000; i++) {
      pacer.acquire();
    }
    assertThat(clock.slept / 1e9).isBetween(1.99, 2.0);
    // One sleep per millisecond of schedule at most: 2,000, far fewer than the 400,000 permits.
    assertThat(pacer.sleeps()).isLessThanOrEqualTo(2_000).isGreaterThan(100);
  }

  @Test
  void aCallerThatFellBehindCatchesUpByAtMostTheBurst() throws Exception {
    FakeClock clock = new FakeClock();
    Pacer pacer = new Pacer(100, 10, clock);
    pacer.acquire();
    clock.now += 5_000_000_000L;
    long before = clock.slept;
    int free = 0;
    while (clock.slept == before) {
      pacer.acquire();
      free++;
    }
    // After 5 s idle only the burst (10 permits) and the permit due now come without waiting; 5 s would be 500.
    assertThat(free - 1).isEqualTo(11);
  }

  @Test
  void aSlowCallerIsNeverMadeToSleep() throws Exception {
    FakeClock clock = new FakeClock();
    Pacer pacer = new Pacer(100, 1, clock);
    for (int i = 0; i < 50; i++) {
      clock.now += 20_000_000L;
      pacer.acquire();
    }
    assertThat(pacer.sleeps()).isZero();
  }

  @Test
  void rateAndBurstMustBePositive() {
    assertThatThrownBy(() -> new Pacer(0, 1, new FakeClock())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Pacer(10, 0, new FakeClock())).isInstanceOf(IllegalArgumentException.class);
  }
}
