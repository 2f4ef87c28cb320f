package dev.arbiter.stats;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * Two-proportion z-test of a binary metric (resolution rate) at a look.
 *
 * <p>The statistic uses the unpooled standard error sqrt(p1 q1 / n1 + p2 q2 / n2), the same one
 * the confidence interval of the difference uses, so a look that crosses its boundary always has
 * an interval that excludes 0, and the statistic estimates the effect's signal-to-noise the
 * group-sequential theory assumes under H1 as well as H0. Under H0 it is asymptotically the same
 * as the pooled statistic; {@link #pooledZ} gives that one (R's prop.test without correction is
 * its square) for anyone who wants to compare.
 */
public final class TwoProportionTest {

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private TwoProportionTest() {}

  /** The test with 95% intervals. */
  public static Comparison of(long controlUnits, long controlSuccesses, long treatmentUnits, long treatmentSuccesses) {
    return of(controlUnits, controlSuccesses, treatmentUnits, treatmentSuccesses, 0.95);
  }

  /**
   * @throws IllegalArgumentException when an arm has no units or more successes than units
   */
  public static Comparison of(long controlUnits, long controlSuccesses, long treatmentUnits, long treatmentSuccesses,
      double confidence) {
    check(controlUnits, controlSuccesses, "control");
    check(treatmentUnits, treatmentSuccesses, "treatment");
    Comparison.checkConfidence(confidence);
    double p1 = (double) controlSuccesses / controlUnits;
    double p2 = (double) treatmentSuccesses / treatmentUnits;
    double v1 = p1 * (1 - p1) / controlUnits;
    double v2 = p2 * (1 - p2) / treatmentUnits;
    double se = Math.sqrt(v1 + v2);
    // With both rates at 0 or 1 there is no variation and no evidence of a difference.
    double z = se > 0 ? (p2 - p1) / se : 0;
    double p = 2 * SequentialWalk.upperTail(Math.abs(z));
    double q = NORMAL.inverseCumulativeProbability(0.5 + confidence / 2);
    return Comparison.of(z, Double.POSITIVE_INFINITY, p, p1, p2, v1, v2, q, confidence);
  }

  /** The z statistic with the pooled standard error under H0. */
  public static double pooledZ(long controlUnits, long controlSuccesses, long treatmentUnits, long treatmentSuccesses) {
    check(controlUnits, controlSuccesses, "control");
    check(treatmentUnits, treatmentSuccesses, "treatment");
    double p1 = (double) controlSuccesses / controlUnits;
    double p2 = (double) treatmentSuccesses / treatmentUnits;
    double pooled = (double) (controlSuccesses + treatmentSuccesses) / (controlUnits + treatmentUnits);
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / controlUnits + 1.0 / treatmentUnits));
    return se > 0 ? (p2 - p1) / se : 0;
  }

  private static void check(long units, long successes, String arm) {
    if (units <= 0 || successes < 0 || successes > units) {
      throw new IllegalArgumentException(arm + " needs units > 0 and successes in [0, units], got "
          + successes + " of " + units);
    }
  }
}
