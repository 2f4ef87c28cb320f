package dev.arbiter.stats;

/**
 * Per-unit moments of a ratio metric R = E[Y] / E[X] (cost per session: Y the unit's cost, X
 * its sessions), from a pilot or the control's history.
 *
 * @param meanNumerator E[Y] per unit
 * @param meanDenominator E[X] per unit, positive
 * @param sdNumerator SD of Y per unit
 * @param sdDenominator SD of X per unit
 * @param correlation correlation of Y and X per unit, in [-1, 1]
 */
public record RatioMoments(double meanNumerator, double meanDenominator, double sdNumerator, double sdDenominator,
    double correlation) {

  public RatioMoments {
    if (!(meanDenominator > 0)) {
      throw new IllegalArgumentException("denominator mean must be positive, got " + meanDenominator);
    }
    if (!(sdNumerator >= 0) || !(sdDenominator >= 0)) {
      throw new IllegalArgumentException("standard deviations must be 0 or more, got " + sdNumerator + " and " + sdDenominator);
    }
    if (!(correlation >= -1 && correlation <= 1)) {
      throw new IllegalArgumentException("correlation must be in [-1, 1], got " + correlation);
    }
  }

  /** The ratio E[Y] / E[X]. */
  public double ratio() {
    return meanNumerator / meanDenominator;
  }

  /**
   * The per-unit standard deviation of the ratio by the delta method:
   * sqrt(var Y - 2 R cov(Y, X) + R^2 var X) / E[X], so that SE(R-hat) = this / sqrt(n units).
   * Treating turns or sessions as independent instead would understate it whenever they cluster
   * inside units.
   */
  public double deltaMethodSd() {
    double r = ratio();
    double cov = correlation * sdNumerator * sdDenominator;
    double v = sdNumerator * sdNumerator - 2 * r * cov + r * r * sdDenominator * sdDenominator;
    return Math.sqrt(Math.max(v, 0)) / meanDenominator;
  }
}
