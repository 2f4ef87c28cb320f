package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SampleRatioMonitorTest {
  static final double[] HALF = {0.5, 0.5};
  static final int EXPERIMENTS = 200;
  static final int WINDOWS = 60;
  static final int UNITS_PER_WINDOW = 170;
  static final double ALPHA = 0.001;

  @Test
  void bayesFactorMatchesTheClosedFormForSmallCounts() {
    // One unit carries no evidence when the prior is centred on the registered shares.
    assertThat(SampleRatioMonitor.logBayesFactor(new long[] {0, 0}, HALF)).isCloseTo(0, Offset.offset(1e-12));
    assertThat(SampleRatioMonitor.logBayesFactor(new long[] {1, 0}, HALF)).isCloseTo(0, Offset.offset(1e-12));
    // Two units in one arm: (50 * 51) / (100 * 101) / 0.5^2.
    assertThat(Math.exp(SampleRatioMonitor.logBayesFactor(new long[] {2, 0}, HALF)))
        .isCloseTo(50.0 * 51 / (100 * 101) / 0.25, Offset.offset(1e-12));
    assertThat(Math.exp(SampleRatioMonitor.logBayesFactor(new long[] {1, 1}, HALF)))
        .isCloseTo(50.0 * 50 / (100 * 101) / 0.25, Offset.offset(1e-12));
  }

  /** 200 seeded clean experiments checked at every one of 60 windows. */
  static int[] falseHalts() {
    BinomialDistribution split = new BinomialDistribution(new Well19937c(20261122), UNITS_PER_WINDOW, 0.5);
    ChiSquaredDistribution chi = new ChiSquaredDistribution(1);
    int sequential = 0;
    int naive = 0;
    for (int e = 0; e < EXPERIMENTS; e++) {
      SampleRatioMonitor monitor = new SampleRatioMonitor();
      long a = 0;
      long b = 0;
      boolean naiveHalted = false;
      for (int w = 0; w < WINDOWS; w++) {
        long control = split.sample();
        long treatment = UNITS_PER_WINDOW - control;
        monitor.add(new long[] {control, treatment}, HALF, ALPHA);
        a += control;
        b += treatment;
        double expected = (a + b) / 2.0;
        double statistic = (a - expected) * (a - expected) / expected + (b - expected) * (b - expected) / expected;
        naiveHalted |= 1 - chi.cumulativeProbability(statistic) < ALPHA;
      }
      sequential += monitor.halted ? 1 : 0;
      naive += naiveHalted ? 1 : 0;
    }
    return new int[] {sequential, naive};
  }

  @Test
  void cleanExperimentsAlmostNeverHaltThoughCheckedEveryWindow() {
    int[] halts = falseHalts();
    System.out.printf("SRM false halts over %d clean experiments x %d windows: always-valid %d, chi-square every window %d%n",
        EXPERIMENTS, WINDOWS, halts[0], halts[1]);
    // The always-valid p-value bounds the false-halt probability by alpha = 0.001 per experiment:
    // more than 2 of 200 would happen with probability below 0.002.
    assertThat(halts[0]).isLessThanOrEqualTo(2);
    assertThat(halts[1]).isGreaterThanOrEqualTo(halts[0]);
  }

  @Test
  void routingBugIsCaughtWithinAFewWindows() {
    BinomialDistribution split = new BinomialDistribution(new Well19937c(7), UNITS_PER_WINDOW, 0.56);
    SampleRatioMonitor monitor = new SampleRatioMonitor();
    int window = 0;
    while (!monitor.halted && window < WINDOWS) {
      long control = split.sample();
      boolean crossed = monitor.add(new long[] {control, UNITS_PER_WINDOW - control}, HALF, ALPHA);
      window++;
      if (crossed) {
        assertThat(monitor.pValue).isLessThan(ALPHA);
      }
    }
    assertThat(monitor.halted).isTrue();
    assertThat(window).isLessThanOrEqualTo(40);
    // Halting happens once: later windows do not report a new crossing.
    assertThat(monitor.add(new long[] {100, 70}, HALF, ALPHA)).isFalse();
  }
}
