package dev.arbiter.stats;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * Welch's t-test for a continuous unit-level metric: unequal variances, Welch-Satterthwaite
 * degrees of freedom, as R's t.test default. Variances are sample variances (n - 1).
 */
public final class WelchTest {

  private WelchTest() {}

  /** From summary statistics, with 95% intervals. */
  public static Comparison of(long controlN, double controlMean, double controlVariance, long treatmentN,
      double treatmentMean, double treatmentVariance) {
    return of(controlN, controlMean, controlVariance, treatmentN, treatmentMean, treatmentVariance, 0.95);
  }

  /**
   * From summary statistics.
   *
   * @throws IllegalArgumentException when an arm has fewer than 2 units or a negative variance
   */
  public static Comparison of(long controlN, double controlMean, double controlVariance, long treatmentN,
      double treatmentMean, double treatmentVariance, double confidence) {
    if (controlN < 2 || treatmentN < 2) {
      throw new IllegalArgumentException("each arm needs 2 or more units, got " + controlN + " and " + treatmentN);
    }
    if (!(controlVariance >= 0) || !(treatmentVariance >= 0)) {
      throw new IllegalArgumentException("variances must be 0 or more");
    }
    Comparison.checkConfidence(confidence);
    double v1 = controlVariance / controlN;
    double v2 = treatmentVariance / treatmentN;
    double se2 = v1 + v2;
    if (se2 == 0) {
      return Comparison.of(0, Double.POSITIVE_INFINITY, 1, controlMean, treatmentMean, 0, 0, 0, confidence);
    }
    double t = (treatmentMean - controlMean) / Math.sqrt(se2);
    double df = se2 * se2 / (v1 * v1 / (controlN - 1) + v2 * v2 / (treatmentN - 1));
    TDistribution dist = new TDistribution(null, df);
    double p = 2 * dist.cumulativeProbability(-Math.abs(t));
    double q = dist.inverseCumulativeProbability(0.5 + confidence / 2);
    return Comparison.of(t, df, p, controlMean, treatmentMean, v1, v2, q, confidence);
  }

  /** From raw unit values, with 95% intervals. */
  public static Comparison of(double[] control, double[] treatment) {
    SummaryStatistics c = summary(control);
    SummaryStatistics t = summary(treatment);
    return of(c.getN(), c.getMean(), c.getVariance(), t.getN(), t.getMean(), t.getVariance());
  }

  private static SummaryStatistics summary(double[] values) {
    SummaryStatistics s = new SummaryStatistics();
    for (double v : values) {
      s.addValue(v);
    }
    return s;
  }
}
