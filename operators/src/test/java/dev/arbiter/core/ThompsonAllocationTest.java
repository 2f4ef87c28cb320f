package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ThompsonAllocationTest {

  @Test
  void aClearWinnerTakesAllButTheFloorOfTheOthers() {
    double[] shares = ThompsonAllocation.shares(new long[] {300, 450}, new long[] {1000, 1000}, 0.05, 1);
    assertThat(Arrays.stream(shares).sum()).isCloseTo(1.0, Offset.offset(1e-12));
    assertThat(shares[0]).isCloseTo(0.05, Offset.offset(1e-3));
    assertThat(shares[1]).isCloseTo(0.95, Offset.offset(1e-3));
  }

  @Test
  void equalArmsShareEquallyAndTheSeedFixesTheShares() {
    double[] shares = ThompsonAllocation.shares(new long[] {500, 500, 500}, new long[] {1000, 1000, 1000}, 0.1, 7);
    for (double share : shares) {
      // Three standard errors of a multinomial share estimated from 20,000 draws.
      assertThat(share).isCloseTo(1 / 3.0, Offset.offset(3 * Math.sqrt(1 / 3.0 * 2 / 3.0 / 20_000)));
    }
    assertThat(ThompsonAllocation.shares(new long[] {500, 520}, new long[] {1000, 1000}, 0.1, 7))
        .containsExactly(ThompsonAllocation.shares(new long[] {500, 520}, new long[] {1000, 1000}, 0.1, 7));
  }

  @Test
  void posteriorProbabilityOfTheBestMatchesTheNormalApproximation() {
    // P(p2 > p1) for Beta(1+550, 1+450) vs Beta(1+500, 1+500): about Phi(0.05 / 0.0223) = 0.9876.
    double[] shares = ThompsonAllocation.shares(new long[] {500, 550}, new long[] {1000, 1000}, 0.0, 3);
    double mean1 = 501 / 1002.0;
    double mean2 = 551 / 1002.0;
    double sd = Math.sqrt(mean1 * (1 - mean1) / 1003 + mean2 * (1 - mean2) / 1003);
    double expected = new org.apache.commons.math3.distribution.NormalDistribution().cumulativeProbability((mean2 - mean1) / sd);
    assertThat(shares[1]).isCloseTo(expected, Offset.offset(0.004));
  }
}
