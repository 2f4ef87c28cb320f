package dev.arbiter.core;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.Well19937c;

/**
 * Beta-Bernoulli Thompson sampling for continuous prompt tuning: each variant's share is its
 * posterior probability of having the best rate (uniform Beta(1, 1) prior), estimated by seeded
 * draws so that a replay gives the same shares, then lifted to a floor so every arm keeps learning.
 */
public final class ThompsonAllocation {
  static final int DRAWS = 20_000;

  private ThompsonAllocation() {}

  public static double[] shares(long[] successes, long[] trials, double floor, long seed) {
    int arms = successes.length;
    Well19937c random = new Well19937c(seed);
    BetaDistribution[] posteriors = new BetaDistribution[arms];
    for (int i = 0; i < arms; i++) {
      posteriors[i] = new BetaDistribution(random, 1 + successes[i], 1 + trials[i] - successes[i]);
    }
    long[] wins = new long[arms];
    for (int d = 0; d < DRAWS; d++) {
      int best = 0;
      double bestDraw = -1;
      for (int i = 0; i < arms; i++) {
        double draw = posteriors[i].sample();
        if (draw > bestDraw) {
          bestDraw = draw;
          best = i;
        }
      }
      wins[best]++;
    }
    double[] shares = new double[arms];
    double free = 1 - floor * arms;
    for (int i = 0; i < arms; i++) {
      shares[i] = floor + free * wins[i] / (double) DRAWS;
    }
    return shares;
  }
}
