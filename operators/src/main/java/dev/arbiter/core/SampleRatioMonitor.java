package dev.arbiter.core;

import org.apache.commons.math3.special.Gamma;

/**
 * Sequential sample-ratio-mismatch test: new units per variant, accumulated window by window,
 * against the registered shares. It uses the Dirichlet-multinomial mixture Bayes factor of Lindon
 * and Malek (2020, "Anytime-valid inference for multinomial count data"), whose reciprocal running
 * maximum is an always-valid p-value: checking it at every window close keeps the chance of a
 * false halt below alpha however long the experiment runs, which a chi-square test repeated every
 * window does not. A Flink POJO kept in keyed state.
 */
public class SampleRatioMonitor {
  /** Prior concentration: the Dirichlet prior is centred on the registered shares with this weight. */
  public static final double PRIOR_WEIGHT = 100;

  public long[] units = new long[0];
  /** Running minimum of the always-valid p-value. */
  public double pValue = 1.0;
  public boolean halted;

  public SampleRatioMonitor() {}

  /**
   * Adds one window's new units per variant and updates the p-value.
   *
   * @return true when this update crosses alpha for the first time (emit SRM_HALT once)
   */
  public boolean add(long[] newUnits, double[] shares, double alpha) {
    if (units.length != newUnits.length) {
      units = new long[newUnits.length];
    }
    for (int i = 0; i < newUnits.length; i++) {
      units[i] += newUnits[i];
    }
    pValue = Math.min(pValue, Math.min(1.0, Math.exp(-logBayesFactor(units, shares))));
    if (!halted && pValue < alpha) {
      halted = true;
      return true;
    }
    return false;
  }

  /** log of B(alpha + x) / B(alpha) / prod p_i^x_i with alpha_i = PRIOR_WEIGHT * p_i. */
  static double logBayesFactor(long[] counts, double[] shares) {
    double priorSum = 0;
    double posteriorSum = 0;
    double logRatio = 0;
    for (int i = 0; i < counts.length; i++) {
      double prior = PRIOR_WEIGHT * shares[i];
      priorSum += prior;
      posteriorSum += prior + counts[i];
      logRatio += Gamma.logGamma(prior + counts[i]) - Gamma.logGamma(prior) - counts[i] * Math.log(shares[i]);
    }
    return logRatio - Gamma.logGamma(posteriorSum) + Gamma.logGamma(priorSum);
  }

  public long total() {
    long total = 0;
    for (long u : units) {
      total += u;
    }
    return total;
  }
}
