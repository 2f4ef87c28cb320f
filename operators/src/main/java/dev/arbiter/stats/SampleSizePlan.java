package dev.arbiter.stats;

import java.util.Arrays;

/**
 * A fixed-design sample size: units per arm, in the order of the shares it was planned with
 * (control first), both as solved (real) and rounded up.
 *
 * @param method how it was solved, e.g. "pooled", "ttest", "continuous"
 * @param shares traffic share of each arm
 * @param exactPerArm solved units per arm before rounding
 * @param perArm units per arm, each rounded up
 * @param total sum of {@code perArm}
 * @param alphaPerComparison the alpha each treatment-versus-control comparison is planned at
 *     (alpha / (arms - 1): Bonferroni across treatments when there are more than two arms)
 */
public record SampleSizePlan(String method, double[] shares, double[] exactPerArm, long[] perArm, long total,
    double alphaPerComparison) {

  public SampleSizePlan {
    shares = shares.clone();
    exactPerArm = exactPerArm.clone();
    perArm = perArm.clone();
  }

  @Override
  public double[] shares() {
    return shares.clone();
  }

  @Override
  public double[] exactPerArm() {
    return exactPerArm.clone();
  }

  @Override
  public long[] perArm() {
    return perArm.clone();
  }

  /** Units of the largest arm (every arm, for equal shares): what a per-arm plan must reach. */
  public long largestArm() {
    return Arrays.stream(perArm).max().orElse(0);
  }

  /** Unrounded units of the largest arm, the base for a sequential design's inflation. */
  public double exactLargestArm() {
    return Arrays.stream(exactPerArm).max().orElse(0);
  }

  /** Days to enrol {@code total} units at {@code dailyUnits} eligible units a day. */
  public long days(double dailyUnits) {
    return SampleSize.days(total, dailyUnits);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SampleSizePlan p && method.equals(p.method) && Arrays.equals(shares, p.shares)
        && Arrays.equals(exactPerArm, p.exactPerArm) && Arrays.equals(perArm, p.perArm) && total == p.total
        && alphaPerComparison == p.alphaPerComparison;
  }

  @Override
  public int hashCode() {
    return 31 * method.hashCode() + Arrays.hashCode(perArm);
  }

  @Override
  public String toString() {
    return "SampleSizePlan{" + method + ", perArm=" + Arrays.toString(perArm) + ", total=" + total + "}";
  }
}
