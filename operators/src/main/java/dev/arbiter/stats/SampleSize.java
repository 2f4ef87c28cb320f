package dev.arbiter.stats;

import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import org.apache.commons.math3.analysis.solvers.BrentSolver;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * Fixed-design sample sizes. Every method returns a {@link SampleSizePlan}: units per arm in the
 * order of {@code shares} (control first), solved and rounded up, and their total.
 *
 * <p>Shares: two equal arms unless given. With unequal shares (a 10% canary against 90%) each
 * arm gets the fraction of one total N that makes the comparison reach the power. With more than
 * two arms every treatment is compared with the control at alpha / (arms - 1) (Bonferroni), and
 * N is the largest any comparison needs.
 *
 * <p>Binary methods ({@link BinaryMethod}), for control rate p1 and treated rate p2:
 * <ul>
 *   <li>{@code pooled} (default): the normal approximation with the pooled variance under H0 and
 *       the unpooled one under H1 (Fleiss): 0.60 vs 0.65 gives 1,471 per arm.</li>
 *   <li>{@code unpooled}: unpooled variance under both (1,468 for the same).</li>
 *   <li>{@code cohen-h}: Cohen's h = 2 asin sqrt(p2) - 2 asin sqrt(p1) with the normal formula
 *       (R pwr.2p.test).</li>
 *   <li>{@code ztest}: standardized effect (p2 - p1) / sqrt(pbar (1 - pbar)) solved with the normal
 *       power function, as statsmodels zt_ind_solve_power / NormalIndPower (0.76, +5% relative:
 *       1,871.5 -> 1,872).</li>
 *   <li>{@code ttest}: the same effect solved with the noncentral t, as statsmodels TTestIndPower
 *       (1,872.5 -> 1,873).</li>
 * </ul>
 */
public final class SampleSize {

  /** How a binary metric's sample size is solved; {@link #cliName()} is the plan command's spelling. */
  public enum BinaryMethod {
    POOLED("pooled"), UNPOOLED("unpooled"), COHEN_H("cohen-h"), ZTEST("ztest"), TTEST("ttest");

    private final String cliName;

    BinaryMethod(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    /** @throws IllegalArgumentException naming the allowed values */
    public static BinaryMethod parse(String text) {
      String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      for (BinaryMethod m : values()) {
        if (m.cliName.equals(s)) {
          return m;
        }
      }
      throw new IllegalArgumentException("method must be one of pooled, unpooled, cohen-h, ztest, ttest, got '" + text + "'");
    }
  }

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);
  private static final double[] EQUAL = {0.5, 0.5};

  private SampleSize() {}

  /** Binary metric, two equal arms. */
  public static SampleSizePlan binary(double baseline, double treated, double alpha, double power, int sides,
      BinaryMethod method) {
    return binary(baseline, treated, alpha, power, sides, method, EQUAL);
  }

  /**
   * Binary metric.
   *
   * @param baseline control rate, in (0, 1)
   * @param treated treatment rate at the minimum detectable effect, in (0, 1); see {@link #treatedRate}
   * @param shares traffic share per arm, control first, summing to 1
   */
  public static SampleSizePlan binary(double baseline, double treated, double alpha, double power, int sides,
      BinaryMethod method, double[] shares) {
    checkRate("baseline", baseline);
    checkRate("treated rate (baseline + mde)", treated);
    if (treated == baseline) {
      throw new IllegalArgumentException("mde must not be 0");
    }
    double a = comparisonAlpha(alpha, sides, power, shares);
    double za = NORMAL.inverseCumulativeProbability(1 - a / sides);
    double zb = NORMAL.inverseCumulativeProbability(power);
    double delta = Math.abs(treated - baseline);
    double total = 0;
    for (int j = 1; j < shares.length; j++) {
      double sc = shares[0];
      double st = shares[j];
      double n;
      switch (method) {
        case POOLED: {
          double pbar = (sc * baseline + st * treated) / (sc + st);
          double v0 = pbar * (1 - pbar) * (1 / sc + 1 / st);
          double v1 = baseline * (1 - baseline) / sc + treated * (1 - treated) / st;
          double root = za * Math.sqrt(v0) + zb * Math.sqrt(v1);
          n = root * root / (delta * delta);
          break;
        }
        case UNPOOLED: {
          double v1 = baseline * (1 - baseline) / sc + treated * (1 - treated) / st;
          n = (za + zb) * (za + zb) * v1 / (delta * delta);
          break;
        }
        case COHEN_H: {
          double h = Math.abs(cohensH(baseline, treated));
          n = (za + zb) * (za + zb) * (1 / sc + 1 / st) / (h * h);
          break;
        }
        case ZTEST:
          n = solveTotal(nTotal -> normalPower(standardizedEffect(baseline, treated), nTotal * sc, st / sc, a, sides), power);
          break;
        case TTEST:
          n = solveTotal(nTotal -> tTestPower(standardizedEffect(baseline, treated), nTotal * sc, st / sc, a, sides), power);
          break;
        default:
          throw new IllegalStateException(method.name());
      }
      total = Math.max(total, n);
    }
    return plan(method.cliName(), shares, total, a);
  }

  /**
   * Continuous unit-level metric from its standard deviation (the square root of a pilot's
   * variance), two equal arms unless {@code shares} says otherwise.
   *
   * @param baselineMean control mean; used only when {@code relative}
   * @param mde minimum detectable difference: absolute, or a fraction of {@code baselineMean}
   */
  public static SampleSizePlan continuous(double baselineMean, double sd, double mde, boolean relative, double alpha,
      double power, int sides, double[] shares) {
    if (!(sd > 0) || Double.isInfinite(sd)) {
      throw new IllegalArgumentException("sd must be positive, got " + sd);
    }
    double delta = relative ? mde * baselineMean : mde;
    if (relative && !Double.isFinite(baselineMean)) {
      throw new IllegalArgumentException("baseline is required with a relative mde");
    }
    if (!(Math.abs(delta) > 0) || !Double.isFinite(delta)) {
      throw new IllegalArgumentException("mde must be a non-zero finite difference, got " + mde);
    }
    double a = comparisonAlpha(alpha, sides, power, shares);
    double za = NORMAL.inverseCumulativeProbability(1 - a / sides);
    double zb = NORMAL.inverseCumulativeProbability(power);
    double total = 0;
    for (int j = 1; j < shares.length; j++) {
      double n = (za + zb) * (za + zb) * sd * sd * (1 / shares[0] + 1 / shares[j]) / (delta * delta);
      total = Math.max(total, n);
    }
    return plan("continuous", shares, total, a);
  }

  /** Continuous metric with two equal arms. */
  public static SampleSizePlan continuous(double baselineMean, double sd, double mde, boolean relative, double alpha,
      double power, int sides) {
    return continuous(baselineMean, sd, mde, relative, alpha, power, sides, EQUAL);
  }

  /**
   * Ratio metric (cost per session) in units: the continuous formula with the delta-method
   * per-unit SD of the ratio ({@link RatioMoments#deltaMethodSd()}).
   *
   * @param mde difference in the ratio: absolute, or relative to {@link RatioMoments#ratio()}
   */
  public static SampleSizePlan ratio(RatioMoments moments, double mde, boolean relative, double alpha, double power,
      int sides, double[] shares) {
    SampleSizePlan p = continuous(moments.ratio(), moments.deltaMethodSd(), mde, relative, alpha, power, sides, shares);
    return new SampleSizePlan("ratio", p.shares(), p.exactPerArm(), p.perArm(), p.total(), p.alphaPerComparison());
  }

  /**
   * Units per arm for a standardized effect with the normal (statsmodels NormalIndPower) or
   * noncentral-t (TTestIndPower) power function; {@code ratio} = n2 / n1 as in statsmodels.
   */
  public static SampleSizePlan standardized(double effect, double alpha, double power, int sides, double ratio,
      boolean noncentralT) {
    if (!(Math.abs(effect) > 0)) {
      throw new IllegalArgumentException("effect size must be non-zero, got " + effect);
    }
    if (!(ratio > 0)) {
      throw new IllegalArgumentException("ratio must be positive, got " + ratio);
    }
    double[] shares = {1 / (1 + ratio), ratio / (1 + ratio)};
    double a = comparisonAlpha(alpha, sides, power, shares);
    double sc = shares[0];
    double n = noncentralT
        ? solveTotal(total -> tTestPower(effect, total * sc, ratio, a, sides), power)
        : solveTotal(total -> normalPower(effect, total * sc, ratio, a, sides), power);
    return plan(noncentralT ? "ttest" : "ztest", shares, n, a);
  }

  /**
   * Power of the two-sample z-test for a standardized effect, as statsmodels NormalIndPower and R
   * pwr.2p.test: two-sided power counts rejections on both sides.
   *
   * @param nobs1 units in the first arm; the second has {@code ratio * nobs1}
   */
  public static double normalPower(double effect, double nobs1, double ratio, double alpha, int sides) {
    double nobs = 1 / (1 / nobs1 + 1 / (nobs1 * ratio));
    double crit = NORMAL.inverseCumulativeProbability(1 - alpha / sides);
    double shift = effect * Math.sqrt(nobs);
    double p = SequentialWalk.upperTail(crit - shift);
    if (sides == 2) {
      p += SequentialWalk.upperTail(crit + shift);
    }
    return p;
  }

  /**
   * Power of the two-sample t-test (equal variances) for a standardized effect, as statsmodels
   * TTestIndPower and R pwr.t2n.test: noncentral t with n1 + n2 - 2 degrees of freedom and
   * noncentrality effect * sqrt(n1 n2 / (n1 + n2)).
   */
  public static double tTestPower(double effect, double nobs1, double ratio, double alpha, int sides) {
    double nobs2 = nobs1 * ratio;
    double df = nobs1 + nobs2 - 2;
    double nc = effect * Math.sqrt(nobs1 * nobs2 / (nobs1 + nobs2));
    double crit = new TDistribution(null, df).inverseCumulativeProbability(1 - alpha / sides);
    double p = NoncentralT.sf(crit, df, nc);
    if (sides == 2) {
      p += NoncentralT.cdf(-crit, df, nc);
    }
    return p;
  }

  /** Cohen's h: 2 asin sqrt(p2) - 2 asin sqrt(p1). */
  public static double cohensH(double p1, double p2) {
    return 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1));
  }

  /** The standardized effect (p2 - p1) / sqrt(pbar (1 - pbar)), pbar the mean of the two rates. */
  public static double standardizedEffect(double p1, double p2) {
    double pbar = (p1 + p2) / 2;
    return (p2 - p1) / Math.sqrt(pbar * (1 - pbar));
  }

  /**
   * The treated rate at the minimum detectable effect: baseline + mde, or baseline * (1 + mde)
   * when {@code relative}.
   *
   * @throws IllegalArgumentException when the baseline is outside (0, 1) or the mde pushes the
   *     rate outside it
   */
  public static double treatedRate(double baseline, double mde, boolean relative) {
    checkRate("baseline", baseline);
    double treated = relative ? baseline * (1 + mde) : baseline + mde;
    if (!(treated > 0 && treated < 1)) {
      throw new IllegalArgumentException("mde must keep the treated rate in (0, 1): " + (relative
          ? "baseline " + baseline + " * (1 + " + mde + ")" : "baseline " + baseline + " + " + mde) + " = " + treated);
    }
    if (mde == 0) {
      throw new IllegalArgumentException("mde must not be 0");
    }
    return treated;
  }

  /** Days to reach {@code totalUnits} at {@code dailyUnits} eligible units a day, rounded up. */
  public static long days(long totalUnits, double dailyUnits) {
    if (!(dailyUnits > 0) || Double.isInfinite(dailyUnits)) {
      throw new IllegalArgumentException("daily units must be positive, got " + dailyUnits);
    }
    return roundUp(totalUnits / dailyUnits);
  }

  /** Rounds up, ignoring floating-point dust below 1e-9 (1471.0000000000002 is 1471). */
  static long roundUp(double x) {
    return (long) Math.ceil(x - 1e-9 * Math.max(1, Math.abs(x)));
  }

  private static SampleSizePlan plan(String method, double[] shares, double total, double alphaPerComparison) {
    double[] exact = new double[shares.length];
    long[] perArm = new long[shares.length];
    long sum = 0;
    for (int i = 0; i < shares.length; i++) {
      exact[i] = total * shares[i];
      perArm[i] = roundUp(exact[i]);
      sum += perArm[i];
    }
    return new SampleSizePlan(method, shares, exact, perArm, sum, alphaPerComparison);
  }

  private static double solveTotal(DoubleUnaryOperator powerOfTotal, double power) {
    double hi = 16;
    while (powerOfTotal.applyAsDouble(hi) < power) {
      hi *= 2;
      if (hi > 1e13) {
        throw new IllegalArgumentException("the effect is too small to reach power " + power + " with any sample");
      }
    }
    return new BrentSolver(1e-15, 1e-9).solve(10000, x -> powerOfTotal.applyAsDouble(x) - power, 4.5, hi);
  }

  private static double comparisonAlpha(double alpha, int sides, double power, double[] shares) {
    if (sides != 1 && sides != 2) {
      throw new IllegalArgumentException("sides must be 1 or 2, got " + sides);
    }
    if (!(alpha > 0 && alpha < 0.5)) {
      throw new IllegalArgumentException("alpha must be in (0, 0.5), got " + alpha);
    }
    if (!(power > alpha / sides && power < 1)) {
      throw new IllegalArgumentException("power must be in (" + alpha / sides + ", 1), got " + power);
    }
    checkShares(shares);
    return alpha / (shares.length - 1);
  }

  /** @throws IllegalArgumentException unless there are 2 or more shares in (0, 1) summing to 1 */
  public static void checkShares(double[] shares) {
    if (shares == null || shares.length < 2) {
      throw new IllegalArgumentException("shares must list 2 or more arms, control first");
    }
    double sum = 0;
    for (double s : shares) {
      if (!(s > 0 && s < 1)) {
        throw new IllegalArgumentException("shares must each be in (0, 1), got " + s);
      }
      sum += s;
    }
    if (Math.abs(sum - 1) > 1e-6) {
      throw new IllegalArgumentException("shares must sum to 1, got " + sum);
    }
  }

  private static void checkRate(String name, double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException(name + " must be in (0, 1), got " + p);
    }
  }
}
