package dev.arbiter.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The running example simulated end to end with the library's own pieces: the planned maximum
 * sample, the registered O'Brien-Fleming boundaries at 4 looks, and the two-proportion z at each.
 */
class GroupSequentialSimulationTest {

  private static final int EXPERIMENTS = 2000;
  private static final double ALPHA = 0.05;
  private static final double POWER = 0.8;

  private final GroupSequentialDesign design = GroupSequentialDesign.equallySpaced("obrien_fleming", ALPHA, 2, 4);
  private final long maxPerArm = design.maxPerArm(
      SampleSize.binary(0.60, 0.65, ALPHA, POWER, 2, SampleSize.BinaryMethod.POOLED).exactLargestArm(), POWER);
  private final long[] looks = design.unitsPerArmAtLooks(maxPerArm);

  @Test
  void aaExperimentsStopAtAlphaUnderBoundariesButPeekingInflatesIt() {
    SplittableRandom random = new SplittableRandom(3L);
    int boundaryStops = 0;
    int peekingStops = 0;
    for (int e = 0; e < EXPERIMENTS; e++) {
      boolean[] stopped = run(random, 0.60, 0.60);
      boundaryStops += stopped[0] ? 1 : 0;
      peekingStops += stopped[1] ? 1 : 0;
    }
    double se = Math.sqrt(ALPHA * (1 - ALPHA) / EXPERIMENTS);
    double boundaryRate = (double) boundaryStops / EXPERIMENTS;
    double peekingRate = (double) peekingStops / EXPERIMENTS;
    assertThat(boundaryRate).isCloseTo(ALPHA, within(3 * se));
    assertThat(peekingRate).isGreaterThan(ALPHA + 3 * se);
  }

  @Test
  void experimentsAtTheMdeReachThePlannedPower() {
    SplittableRandom random = new SplittableRandom(11L);
    int detections = 0;
    for (int e = 0; e < EXPERIMENTS; e++) {
      detections += run(random, 0.60, 0.65)[2] ? 1 : 0;
    }
    double rate = (double) detections / EXPERIMENTS;
    assertThat(rate).isCloseTo(POWER, within(3 * Math.sqrt(POWER * (1 - POWER) / EXPERIMENTS)));
  }

  /** One experiment: {stopped at a boundary, stopped at ordinary p < 0.05, stopped for efficacy (z >= c)}. */
  private boolean[] run(SplittableRandom random, double controlRate, double treatmentRate) {
    double[] critical = design.criticalZ();
    long units = 0;
    long controlSuccesses = 0;
    long treatmentSuccesses = 0;
    boolean boundary = false;
    boolean peeking = false;
    boolean efficacy = false;
    for (int k = 0; k < looks.length; k++) {
      for (; units < looks[k]; units++) {
        controlSuccesses += random.nextDouble() < controlRate ? 1 : 0;
        treatmentSuccesses += random.nextDouble() < treatmentRate ? 1 : 0;
      }
      Comparison c = TwoProportionTest.of(units, controlSuccesses, units, treatmentSuccesses);
      peeking |= c.pValue() < ALPHA;
      if (!boundary && c.crosses(critical[k])) {
        boundary = true;
        efficacy = c.statistic() > 0;
      }
    }
    return new boolean[] {boundary, peeking, efficacy};
  }
}
