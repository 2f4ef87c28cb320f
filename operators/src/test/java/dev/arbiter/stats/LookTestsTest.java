package dev.arbiter.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

/** The tests taken at a look: two proportions, Welch, ratio metrics, SRM, multiplicity, non-inferiority. */
class LookTestsTest {

  @Test
  void welchMatchesRTTestOnTheSleepData() {
    // R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939,
    // 95% CI -3.3654832 0.2054832 (group 1 minus group 2).
    double[] group1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    double[] group2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    Comparison c = WelchTest.of(group2, group1);
    assertThat(c.statistic()).isCloseTo(-1.8608, within(1e-4));
    assertThat(c.degreesOfFreedom()).isCloseTo(17.776, within(1e-3));
    assertThat(c.pValue()).isCloseTo(0.07939, within(1e-5));
    assertThat(c.differenceLow()).isCloseTo(-3.3654832, within(1e-6));
    assertThat(c.differenceHigh()).isCloseTo(0.2054832, within(1e-6));
    assertThat(c.difference()).isCloseTo(-1.58, within(1e-12));
  }

  @Test
  void twoProportionZUsesTheUnpooledStandardError() {
    Comparison c = TwoProportionTest.of(1471, 883, 1471, 956);
    double p1 = 883.0 / 1471;
    double p2 = 956.0 / 1471;
    double se = Math.sqrt(p1 * (1 - p1) / 1471 + p2 * (1 - p2) / 1471);
    assertThat(c.statistic()).isCloseTo((p2 - p1) / se, within(1e-12));
    assertThat(c.standardError()).isCloseTo(se, within(1e-15));
    assertThat(c.differenceLow()).isCloseTo(p2 - p1 - 1.959964 * se, within(1e-6));
    assertThat(c.pValue()).isCloseTo(2 * (1 - new org.apache.commons.math3.distribution.NormalDistribution()
        .cumulativeProbability(Math.abs(c.statistic()))), within(1e-12));
    // The interval excludes 0 exactly when the test rejects at 5%.
    assertThat(c.differenceLow() > 0).isEqualTo(c.pValue() < 0.05);
    assertThat(c.relativeLift()).isCloseTo(p2 / p1 - 1, within(1e-12));
    assertThat(c.liftLow()).isLessThan(c.relativeLift());
    assertThat(c.liftHigh()).isGreaterThan(c.relativeLift());
  }

  @Test
  void pooledZSquaredIsPearsonChiSquareOfTheTwoByTwoTable() {
    // Independent implementation: Commons Math's Pearson chi-square (R prop.test(correct = FALSE) reports the same).
    long[][] table = {{883, 1471 - 883}, {956, 1471 - 956}};
    double chi = new ChiSquareTest().chiSquare(table);
    double z = TwoProportionTest.pooledZ(1471, 883, 1471, 956);
    assertThat(z * z).isCloseTo(chi, within(1e-9));
    assertThat(Math.abs(TwoProportionTest.of(1471, 883, 1471, 956).statistic())).isGreaterThan(Math.abs(z) - 0.05);
  }

  @Test
  void degenerateProportionsGiveNoEvidence() {
    Comparison c = TwoProportionTest.of(100, 0, 100, 0);
    assertThat(c.statistic()).isZero();
    assertThat(c.pValue()).isEqualTo(1.0);
    assertThatThrownBy(() -> TwoProportionTest.of(10, 11, 10, 1)).hasMessageContaining("successes in [0, units]");
  }

  @Test
  void ratioMetricTestIsCalibratedUnderTheNull() {
    // Independent method: 2,000 seeded A/A comparisons of cost per session with sessions clustered in
    // users; the delta-method z rejects at 5% within three standard errors of 5%.
    SplittableRandom random = new SplittableRandom(42);
    int experiments = 2000;
    int rejections = 0;
    for (int e = 0; e < experiments; e++) {
      Comparison c = RatioMetricTest.of(clusteredArm(random, 300), clusteredArm(random, 300));
      if (c.pValue() < 0.05) {
        rejections++;
      }
    }
    double rate = (double) rejections / experiments;
    assertThat(rate).isCloseTo(0.05, within(3 * Math.sqrt(0.05 * 0.95 / experiments)));
  }

  @Test
  void ratioMetricWithOneSessionPerUnitIsADifferenceOfMeans() {
    double[] costsA = {0.02, 0.05, 0.03, 0.08, 0.04, 0.06};
    double[] costsB = {0.03, 0.07, 0.05, 0.09, 0.06, 0.08};
    double[] ones = {1, 1, 1, 1, 1, 1};
    Comparison ratio = RatioMetricTest.of(RatioSample.of(costsA, ones), RatioSample.of(costsB, ones));
    Comparison welch = WelchTest.of(costsA, costsB);
    assertThat(ratio.statistic()).isCloseTo(welch.statistic(), within(1e-9));
    assertThat(ratio.difference()).isCloseTo(welch.difference(), within(1e-15));
  }

  @Test
  void sampleRatioMismatchMatchesRChisqTest() {
    // R ?chisq.test examples: x = c(89, 37, 30, 28, 2), p = c(40, 20, 20, 15, 5) / 100:
    // X-squared = 9.9901, df = 4, p-value = 0.04059; x = c(A = 20, B = 15, C = 25): X-squared = 2.5, p = 0.2865.
    SampleRatioMismatch.Result r = SampleRatioMismatch.test(new long[] {89, 37, 30, 28, 2},
        new double[] {0.40, 0.20, 0.20, 0.15, 0.05});
    assertThat(r.chiSquare()).isCloseTo(9.9901, within(1e-4));
    assertThat(r.degreesOfFreedom()).isEqualTo(4);
    assertThat(r.pValue()).isCloseTo(0.04059, within(1e-5));
    SampleRatioMismatch.Result even = SampleRatioMismatch.test(new long[] {20, 15, 25}, new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});
    assertThat(even.chiSquare()).isCloseTo(2.5, within(1e-9));
    assertThat(even.pValue()).isCloseTo(0.2865, within(1e-4));
    assertThat(even.mismatch(SampleRatioMismatch.HALT_BELOW)).isFalse();
  }

  @Test
  void sampleRatioMismatchFlagsABrokenSplit() {
    SampleRatioMismatch.Result r = SampleRatioMismatch.test(new long[] {10_000, 10_500}, new double[] {0.5, 0.5});
    assertThat(r.pValue()).isLessThan(SampleRatioMismatch.HALT_BELOW);
    assertThat(r.expected()).containsExactly(10_250, 10_250);
    assertThatThrownBy(() -> SampleRatioMismatch.test(new long[] {1, 2}, new double[] {0.5, 0.6}))
        .hasMessageContaining("shares must sum to 1");
  }

  @Test
  void adjustedPValuesMatchIssue3() {
    double[] p = {0.001, 0.020, 0.12, 0.42};
    assertThat(MultipleComparisons.benjaminiHochberg(p)).containsExactly(new double[] {0.004, 0.040, 0.160, 0.420}, within(1e-12));
    assertThat(MultipleComparisons.bonferroni(p)).containsExactly(new double[] {0.004, 0.080, 0.480, 1.0}, within(1e-12));
  }

  @Test
  void benjaminiHochbergKeepsInputOrderAndIsMonotone() {
    // Step-up: p = 0.04 at rank 4 of 4 gives 0.04, which also caps rank 3's 0.03 * 4 / 3.
    double[] p = {0.04, 0.01, 0.03, 0.02};
    assertThat(MultipleComparisons.benjaminiHochberg(p)).containsExactly(new double[] {0.04, 0.04, 0.04, 0.04}, within(1e-12));
    assertThatThrownBy(() -> MultipleComparisons.bonferroni(new double[] {1.5})).hasMessageContaining("[0, 1]");
  }

  @Test
  void nonInferiorityWithAMargin() {
    // Safety pass rate: treatment 99.4% against control 99.6%, margin 0.5 points, 20,000 per arm.
    NonInferiorityTest.Result ok = NonInferiorityTest.ofProportions(20_000, 19_920, 20_000, 19_880, 0.005,
        NonInferiorityTest.Direction.HIGHER_IS_BETTER, 0.05);
    assertThat(ok.difference()).isCloseTo(-0.002, within(1e-12));
    assertThat(ok.z()).isCloseTo((ok.difference() + 0.005) / ok.standardError(), within(1e-12));
    assertThat(ok.nonInferior()).isTrue();
    assertThat(ok.confidenceBound()).isGreaterThan(-0.005);
    NonInferiorityTest.Result worse = NonInferiorityTest.ofProportions(20_000, 19_920, 20_000, 19_780, 0.005,
        NonInferiorityTest.Direction.HIGHER_IS_BETTER, 0.05);
    assertThat(worse.nonInferior()).isFalse();
    assertThat(worse.confidenceBound()).isLessThan(-0.005);
    // At the margin exactly the p-value is one half; the bound decides exactly as the p-value does.
    NonInferiorityTest.Result edge = NonInferiorityTest.of(0.1, 0.02, 0.1, NonInferiorityTest.Direction.LOWER_IS_BETTER, 0.05);
    assertThat(edge.pValue()).isCloseTo(0.5, within(1e-12));
    assertThat(edge.nonInferior()).isFalse();
  }

  private static RatioSample clusteredArm(SplittableRandom random, int users) {
    double[] cost = new double[users];
    double[] sessions = new double[users];
    for (int u = 0; u < users; u++) {
      int s = 1 + random.nextInt(6);
      double userLevel = 0.02 + 0.04 * random.nextDouble();
      sessions[u] = s;
      for (int i = 0; i < s; i++) {
        cost[u] += userLevel * (0.5 + random.nextDouble());
      }
    }
    return RatioSample.of(cost, sessions);
  }
}
