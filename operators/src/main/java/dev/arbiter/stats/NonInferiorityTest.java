package dev.arbiter.stats;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * One-sided non-inferiority test of treatment against control with a margin, for statistical
 * guardrails: "the treatment's safety pass rate is not worse than the control's by more than
 * 0.5 points". H0: the treatment is worse by the margin or more; rejecting H0 shows
 * non-inferiority. Normal approximation with the unpooled standard error, like
 * {@link TwoProportionTest}.
 */
public final class NonInferiorityTest {

  /** Which direction of the metric is good. */
  public enum Direction {
    /** Larger is better (pass rate): H0 is difference <= -margin. */
    HIGHER_IS_BETTER,
    /** Smaller is better (error rate, latency): H0 is difference >= margin. */
    LOWER_IS_BETTER
  }

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  /**
   * @param z (difference + margin) / se for higher-is-better, (margin - difference) / se otherwise
   * @param pValue one-sided p-value of H0 (the treatment is worse by the margin or more)
   * @param difference treatment minus control
   * @param standardError standard error of the difference
   * @param margin the non-inferiority margin, positive, in the metric's units
   * @param confidenceBound the one-sided (1 - alpha) confidence bound of the difference on the
   *     side that matters: lower for higher-is-better, upper for lower-is-better
   * @param nonInferior whether H0 is rejected at alpha (equivalently, the bound clears -margin or margin)
   */
  public record Result(double z, double pValue, double difference, double standardError, double margin,
      double confidenceBound, boolean nonInferior) {}

  private NonInferiorityTest() {}

  /** From a difference (treatment minus control) and its standard error. */
  public static Result of(double difference, double standardError, double margin, Direction direction, double alpha) {
    if (!(margin > 0)) {
      throw new IllegalArgumentException("margin must be positive, got " + margin);
    }
    if (!(standardError > 0)) {
      throw new IllegalArgumentException("standard error must be positive, got " + standardError);
    }
    if (!(alpha > 0 && alpha < 0.5)) {
      throw new IllegalArgumentException("alpha must be in (0, 0.5), got " + alpha);
    }
    boolean higher = direction == Direction.HIGHER_IS_BETTER;
    double z = higher ? (difference + margin) / standardError : (margin - difference) / standardError;
    double p = SequentialWalk.upperTail(z);
    double q = NORMAL.inverseCumulativeProbability(1 - alpha);
    double bound = higher ? difference - q * standardError : difference + q * standardError;
    return new Result(z, p, difference, standardError, margin, bound, p < alpha);
  }

  /** For two proportions, with the unpooled standard error. */
  public static Result ofProportions(long controlUnits, long controlSuccesses, long treatmentUnits,
      long treatmentSuccesses, double margin, Direction direction, double alpha) {
    Comparison c = TwoProportionTest.of(controlUnits, controlSuccesses, treatmentUnits, treatmentSuccesses);
    return of(c.difference(), c.standardError(), margin, direction, alpha);
  }

  /** For two means from summary statistics (normal approximation, large samples). */
  public static Result ofMeans(long controlN, double controlMean, double controlVariance, long treatmentN,
      double treatmentMean, double treatmentVariance, double margin, Direction direction, double alpha) {
    Comparison c = WelchTest.of(controlN, controlMean, controlVariance, treatmentN, treatmentMean, treatmentVariance);
    return of(c.difference(), c.standardError(), margin, direction, alpha);
  }
}
