package dev.arbiter.stats;

import org.apache.commons.math3.distribution.ChiSquaredDistribution;

/**
 * Sample ratio mismatch: Pearson's chi-square goodness of fit of the observed units per variant
 * against the registered shares, any number of arms. A tiny p-value (Arbiter halts below 0.001)
 * means assignment or logging is broken, and every other comparison is then untrustworthy.
 */
public final class SampleRatioMismatch {

  /** Default threshold below which Arbiter halts an experiment. */
  public static final double HALT_BELOW = 0.001;

  /**
   * @param chiSquare Pearson's statistic sum (o - e)^2 / e
   * @param degreesOfFreedom arms - 1
   * @param pValue upper tail of the chi-square distribution
   * @param expected expected units per arm under the registered shares
   */
  public record Result(double chiSquare, int degreesOfFreedom, double pValue, double[] expected) {
    public Result {
      expected = expected.clone();
    }

    @Override
    public double[] expected() {
      return expected.clone();
    }

    /** True when the p-value is below {@code threshold}. */
    public boolean mismatch(double threshold) {
      return pValue < threshold;
    }
  }

  private SampleRatioMismatch() {}

  /**
   * @param observed units per arm
   * @param shares registered share per arm, each in (0, 1), summing to 1
   * @throws IllegalArgumentException on mismatched lengths, bad shares, negative counts or no units
   */
  public static Result test(long[] observed, double[] shares) {
    if (observed == null || shares == null || observed.length != shares.length) {
      throw new IllegalArgumentException("observed counts and shares must have one entry per arm");
    }
    SampleSize.checkShares(shares);
    long total = 0;
    for (long o : observed) {
      if (o < 0) {
        throw new IllegalArgumentException("observed counts must be 0 or more, got " + o);
      }
      total += o;
    }
    if (total == 0) {
      throw new IllegalArgumentException("no units observed");
    }
    double[] expected = new double[observed.length];
    double chi = 0;
    for (int i = 0; i < observed.length; i++) {
      expected[i] = total * shares[i];
      double d = observed[i] - expected[i];
      chi += d * d / expected[i];
    }
    int df = observed.length - 1;
    double p = 1 - new ChiSquaredDistribution(null, df).cumulativeProbability(chi);
    return new Result(chi, df, p, expected);
  }
}
