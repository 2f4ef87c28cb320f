package dev.arbiter.stats;

/**
 * One arm of a ratio metric (cost per session, tokens per turn) summarized per randomization
 * unit: Y is the unit's numerator total, X its denominator total. Sums are what a streaming
 * aggregate can keep.
 *
 * @param units number of units n
 * @param sumNumerator sum of Y
 * @param sumDenominator sum of X
 * @param sumNumeratorSquares sum of Y^2
 * @param sumDenominatorSquares sum of X^2
 * @param sumCrossProducts sum of X * Y
 */
public record RatioSample(long units, double sumNumerator, double sumDenominator, double sumNumeratorSquares,
    double sumDenominatorSquares, double sumCrossProducts) {

  public RatioSample {
    if (units < 2) {
      throw new IllegalArgumentException("a ratio sample needs 2 or more units, got " + units);
    }
    if (!(sumDenominator > 0)) {
      throw new IllegalArgumentException("the denominator sum must be positive, got " + sumDenominator);
    }
  }

  /** From per-unit values. */
  public static RatioSample of(double[] numerators, double[] denominators) {
    if (numerators.length != denominators.length) {
      throw new IllegalArgumentException("numerators and denominators must have one value per unit each");
    }
    double sy = 0;
    double sx = 0;
    double syy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < numerators.length; i++) {
      double y = numerators[i];
      double x = denominators[i];
      sy += y;
      sx += x;
      syy += y * y;
      sxx += x * x;
      sxy += x * y;
    }
    return new RatioSample(numerators.length, sy, sx, syy, sxx, sxy);
  }

  /** The ratio of sums, sum Y / sum X. */
  public double ratio() {
    return sumNumerator / sumDenominator;
  }

  /**
   * Delta-method variance of the ratio of sums: (s_yy - 2 R s_xy + R^2 s_xx) / (n xbar^2), with
   * sample (n - 1) variances and covariance of the per-unit values.
   */
  public double ratioVariance() {
    double n = units;
    double mx = sumDenominator / n;
    double my = sumNumerator / n;
    double vy = (sumNumeratorSquares - n * my * my) / (n - 1);
    double vx = (sumDenominatorSquares - n * mx * mx) / (n - 1);
    double cxy = (sumCrossProducts - n * mx * my) / (n - 1);
    double r = ratio();
    return Math.max(vy - 2 * r * cxy + r * r * vx, 0) / (n * mx * mx);
  }
}
