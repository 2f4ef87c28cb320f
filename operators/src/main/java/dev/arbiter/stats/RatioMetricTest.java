package dev.arbiter.stats;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * z-test of a ratio metric (cost per session, tokens per turn) between two arms, with each arm's
 * variance from the delta method over randomization units ({@link RatioSample#ratioVariance()}).
 * Sessions or turns inside one unit are correlated; counting them as independent observations
 * would understate the variance and raise false alarms.
 */
public final class RatioMetricTest {

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private RatioMetricTest() {}

  public static Comparison of(RatioSample control, RatioSample treatment) {
    return of(control, treatment, 0.95);
  }

  public static Comparison of(RatioSample control, RatioSample treatment, double confidence) {
    Comparison.checkConfidence(confidence);
    double v1 = control.ratioVariance();
    double v2 = treatment.ratioVariance();
    double se = Math.sqrt(v1 + v2);
    double z = se > 0 ? (treatment.ratio() - control.ratio()) / se : 0;
    double p = 2 * SequentialWalk.upperTail(Math.abs(z));
    double q = NORMAL.inverseCumulativeProbability(0.5 + confidence / 2);
    return Comparison.of(z, Double.POSITIVE_INFINITY, p, control.ratio(), treatment.ratio(), v1, v2, q, confidence);
  }
}
