package dev.arbiter.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.arbiter.stats.SampleSize.BinaryMethod;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class SampleSizeTest {

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  @Test
  void runningExampleNeeds1471PerArm() {
    // Issue 3 / DESIGN.md: 0.60 -> 0.65, alpha 0.05 two-sided, power 0.8, pooled H0 / unpooled H1.
    SampleSizePlan plan = SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.POOLED);
    assertThat(plan.perArm()).containsExactly(1471, 1471);
    assertThat(plan.total()).isEqualTo(2942);
    assertThat(plan.exactLargestArm()).isBetween(1470.0, 1471.0);
  }

  @Test
  void twoPointLiftNeeds9336PerArm() {
    SampleSizePlan plan = SampleSize.binary(0.60, SampleSize.treatedRate(0.60, 0.02, false), 0.05, 0.8, 2,
        BinaryMethod.POOLED);
    assertThat(plan.perArm()).containsExactly(9336, 9336);
    assertThat(plan.total()).isEqualTo(18672);
  }

  @Test
  void standardizedEffectWithNormalSolverGives1872() {
    // Issue 3: statsmodels zt_ind_solve_power for 0.76 and a 5% relative MDE: 1,871.5 -> 1,872.
    double treated = SampleSize.treatedRate(0.76, 0.05, true);
    SampleSizePlan plan = SampleSize.binary(0.76, treated, 0.05, 0.8, 2, BinaryMethod.ZTEST);
    assertThat(plan.exactLargestArm()).isCloseTo(1871.5, within(0.05));
    assertThat(plan.perArm()).containsExactly(1872, 1872);
  }

  @Test
  void standardizedEffectWithNoncentralTSolverGives1873() {
    // Issue 3: statsmodels TTestIndPower for the same effect: 1,872.5 -> 1,873 (the widely copied guide's number).
    double treated = SampleSize.treatedRate(0.76, 0.05, true);
    SampleSizePlan plan = SampleSize.binary(0.76, treated, 0.05, 0.8, 2, BinaryMethod.TTEST);
    assertThat(plan.exactLargestArm()).isCloseTo(1872.5, within(0.05));
    assertThat(plan.perArm()).containsExactly(1873, 1873);
  }

  @Test
  void tTestSampleSizesMatchRPwr() {
    // R pwr.t.test(d, power = 0.8, sig.level = 0.05, type = "two.sample"): n = 393.4057, 63.76561, 25.52457
    // (Cohen 1988, Table 2.4.1, rounds them to 393 (sic), 64, 26).
    double[] d = {0.2, 0.5, 0.8};
    double[] n = {393.4057, 63.76561, 25.52457};
    for (int i = 0; i < d.length; i++) {
      SampleSizePlan plan = SampleSize.standardized(d[i], 0.05, 0.8, 2, 1, true);
      assertThat(plan.exactPerArm()[0]).as("d=%s", d[i]).isCloseTo(n[i], within(1e-4));
    }
    assertThat(SampleSize.standardized(0.5, 0.05, 0.8, 2, 1, true).perArm()).containsExactly(64, 64);
  }

  @Test
  void tTestPowerMatchesRPwrAsInStatsmodelsTests() {
    // statsmodels/stats/tests/test_power.py, values from R pwr.t.test / pwr.t2n.test.
    assertThat(SampleSize.tTestPower(1, 30, 1, 0.05, 2)).isCloseTo(0.967708258242517, within(1e-9));
    assertThat(SampleSize.tTestPower(0.1, 20, 1, 0.05, 2)).isCloseTo(0.06095912465411235, within(1e-9));
    assertThat(SampleSize.tTestPower(1, 30, 1, 0.05, 1)).isCloseTo(0.985459690251624, within(1e-9));
    assertThat(SampleSize.tTestPower(0.01, 30, 1, 0.05, 1)).isCloseTo(0.0540740302835667, within(1e-9));
    assertThat(SampleSize.tTestPower(0.1, 20, 1.5, 0.05, 2)).isCloseTo(0.0633081832564667, within(1e-9));
    assertThat(SampleSize.tTestPower(0.1, 20, 1.5, 0.05, 1)).isCloseTo(0.09623589080917805, within(1e-9));
  }

  @Test
  void normalPowerMatchesRPwrAsInStatsmodelsTests() {
    // statsmodels test_power.py: NormalIndPower(0.3, 80) = 0.475100870572638; pwr.2p.test(h = 0.01, n = 80)
    // two-sided 0.05045832927039234, greater 0.056869534873146124.
    assertThat(SampleSize.normalPower(0.3, 80, 1, 0.05, 2)).isCloseTo(0.475100870572638, within(1e-12));
    assertThat(SampleSize.normalPower(-0.01, 80, 1, 0.05, 2)).isCloseTo(0.05045832927039234, within(1e-12));
    assertThat(SampleSize.normalPower(0.01, 80, 1, 0.05, 1)).isCloseTo(0.056869534873146124, within(1e-12));
  }

  @Test
  void noncentralTReducesToCentralAndNormal() {
    // With delta 0 it is Student's t; with huge df it approaches the shifted normal.
    var t = new org.apache.commons.math3.distribution.TDistribution(null, 7);
    for (double x : new double[] {-3, -0.5, 0, 0.7, 2.5}) {
      assertThat(NoncentralT.cdf(x, 7, 0)).isCloseTo(t.cumulativeProbability(x), within(1e-12));
    }
    assertThat(NoncentralT.cdf(1.0, 1e7, 2.0)).isCloseTo(NORMAL.cumulativeProbability(-1.0), within(1e-5));
  }

  @Test
  void cohensHIsTheArcsineDifference() {
    // 2 asin sqrt(0.75) - 2 asin sqrt(0.5) = 2 pi / 3 - pi / 2 = pi / 6 exactly.
    assertThat(SampleSize.cohensH(0.5, 0.75)).isCloseTo(Math.PI / 6, within(1e-12));
    SampleSizePlan plan = SampleSize.binary(0.5, 0.75, 0.05, 0.8, 2, BinaryMethod.COHEN_H);
    double z = NORMAL.inverseCumulativeProbability(0.975) + NORMAL.inverseCumulativeProbability(0.8);
    assertThat(plan.exactPerArm()[0]).isCloseTo(2 * Math.pow(z / (Math.PI / 6), 2), within(1e-9));
    assertThat(plan.perArm()).containsExactly(58, 58);
  }

  @Test
  void unpooledMethodIsTheSimplerFormula() {
    SampleSizePlan plan = SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.UNPOOLED);
    double z = NORMAL.inverseCumulativeProbability(0.975) + NORMAL.inverseCumulativeProbability(0.8);
    assertThat(plan.exactPerArm()[0]).isCloseTo(z * z * (0.24 + 0.2275) / 0.0025, within(1e-9));
    assertThat(plan.perArm()).containsExactly(1468, 1468);
  }

  @Test
  void canaryAllocationMatchesStatsmodelsRatio() {
    // 10% control against 90% treatment, normal solver: statsmodels NormalIndPower with ratio = n2 / n1 = 9
    // has nobs1 = (z_a + z_b)^2 (1 + 1 / 9) / es^2 (ignoring the far tail); the shares route must agree.
    double es = SampleSize.standardizedEffect(0.60, 0.65);
    SampleSizePlan viaShares = SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.ZTEST, new double[] {0.1, 0.9});
    SampleSizePlan viaRatio = SampleSize.standardized(es, 0.05, 0.8, 2, 9, false);
    assertThat(viaShares.exactPerArm()[0]).isCloseTo(viaRatio.exactPerArm()[0], within(1e-6));
    double z = NORMAL.inverseCumulativeProbability(0.975) + NORMAL.inverseCumulativeProbability(0.8);
    assertThat(viaShares.exactPerArm()[0]).isCloseTo(z * z * (1 + 1.0 / 9) / (es * es), within(0.01));
    assertThat(viaShares.exactPerArm()[1]).isCloseTo(9 * viaShares.exactPerArm()[0], within(1e-6));
    // An unbalanced split needs more units in total than a balanced one.
    assertThat(viaShares.total()).isGreaterThan(SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.ZTEST).total());
  }

  @Test
  void moreArmsCompareEachTreatmentAtBonferroniAlpha() {
    SampleSizePlan three = SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.POOLED,
        new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
    SampleSizePlan twoAtHalfAlpha = SampleSize.binary(0.60, 0.65, 0.025, 0.8, 2, BinaryMethod.POOLED);
    assertThat(three.alphaPerComparison()).isEqualTo(0.025);
    assertThat(three.perArm()).hasSize(3).containsOnly(twoAtHalfAlpha.perArm()[0]);
    assertThat(three.total()).isEqualTo(3 * twoAtHalfAlpha.perArm()[0]);
  }

  @Test
  void continuousFromStandardDeviation() {
    // sd 0.8, mde 0.08 absolute = 0.1 SD: 2 (z_a + z_b)^2 / 0.01 = 1,569.8 -> 1,570 per arm.
    SampleSizePlan plan = SampleSize.continuous(Double.NaN, 0.8, 0.08, false, 0.05, 0.8, 2);
    assertThat(plan.exactPerArm()[0]).isCloseTo(1569.77, within(0.01));
    assertThat(plan.perArm()).containsExactly(1570, 1570);
    SampleSizePlan relative = SampleSize.continuous(4.0, 0.8, 0.02, true, 0.05, 0.8, 2);
    assertThat(relative.perArm()).containsExactly(plan.perArm());
    // The normal formula is the large-sample limit of the t solver for the same standardized effect.
    assertThat(SampleSize.standardized(0.1, 0.05, 0.8, 2, 1, true).exactPerArm()[0] - plan.exactPerArm()[0])
        .isBetween(0.0, 1.5);
  }

  @Test
  void ratioMetricUsesTheDeltaMethodVariance() {
    // Independent method: per-unit simulation (seeded) of sessions X and cost Y; the variance of the
    // ratio of sums across replicates matches the delta-method formula within 10%.
    RatioMoments moments = new RatioMoments(0.15, 3.0, 0.12, 2.0, 0.6);
    double sd = moments.deltaMethodSd();
    SplittableRandom random = new SplittableRandom(7);
    int n = 400;
    int replicates = 3000;
    double sum = 0;
    double sumSq = 0;
    for (int r = 0; r < replicates; r++) {
      double sy = 0;
      double sx = 0;
      for (int i = 0; i < n; i++) {
        double u = gaussian(random);
        double v = 0.6 * u + Math.sqrt(1 - 0.36) * gaussian(random);
        sx += 3.0 + 2.0 * u;
        sy += 0.15 + 0.12 * v;
      }
      double ratio = sy / sx;
      sum += ratio;
      sumSq += ratio * ratio;
    }
    double variance = (sumSq - sum * sum / replicates) / (replicates - 1);
    assertThat(variance * n).isCloseTo(sd * sd, within(0.1 * sd * sd));
    SampleSizePlan plan = SampleSize.ratio(moments, 0.1, true, 0.05, 0.8, 2, new double[] {0.5, 0.5});
    assertThat(plan.perArm()).containsExactly(SampleSize.continuous(moments.ratio(), sd, 0.1, true, 0.05, 0.8, 2).perArm());
    // Without denominator variation the ratio metric is a plain mean of Y / E[X].
    assertThat(new RatioMoments(0.15, 3.0, 0.12, 0.0, 0).deltaMethodSd()).isCloseTo(0.04, within(1e-12));
  }

  @Test
  void durationInDays() {
    assertThat(SampleSize.days(2942, 2000)).isEqualTo(2);
    assertThat(SampleSize.days(4000, 2000)).isEqualTo(2);
    assertThat(SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, BinaryMethod.POOLED).days(500)).isEqualTo(6);
  }

  @Test
  void badArgumentsNameTheArgumentAndTheRange() {
    assertThatThrownBy(() -> SampleSize.treatedRate(1.2, 0.05, false)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baseline must be in (0, 1)");
    assertThatThrownBy(() -> SampleSize.treatedRate(0.6, 0.45, false)).hasMessageContaining("treated rate in (0, 1)");
    assertThatThrownBy(() -> SampleSize.binary(0.6, 0.65, 0.05, 1.2, 2, BinaryMethod.POOLED))
        .hasMessageContaining("power must be in (0.025, 1)");
    assertThatThrownBy(() -> SampleSize.binary(0.6, 0.65, 0.05, 0.8, 2, BinaryMethod.POOLED, new double[] {0.5, 0.6}))
        .hasMessageContaining("shares must sum to 1");
    assertThatThrownBy(() -> SampleSize.continuous(1, -1, 0.1, false, 0.05, 0.8, 2)).hasMessageContaining("sd must be positive");
    assertThatThrownBy(() -> BinaryMethod.parse("exact")).hasMessageContaining("pooled, unpooled, cohen-h, ztest, ttest");
  }

  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
