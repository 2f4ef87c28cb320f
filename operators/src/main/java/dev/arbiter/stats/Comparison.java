package dev.arbiter.stats;

/**
 * The result of comparing a treatment arm with the control at a look: the test statistic, its
 * two-sided p-value, the difference (treatment minus control) and relative lift
 * (treatment / control - 1), each with a confidence interval at the requested level.
 *
 * @param statistic z (or Welch's t)
 * @param degreesOfFreedom Welch-Satterthwaite degrees of freedom; infinite for z statistics
 * @param pValue two-sided p-value of the statistic
 * @param control control estimate (rate, mean or ratio)
 * @param treatment treatment estimate
 * @param difference treatment minus control
 * @param standardError standard error of the difference
 * @param differenceLow lower confidence limit of the difference
 * @param differenceHigh upper confidence limit of the difference
 * @param relativeLift treatment / control - 1
 * @param liftLow lower confidence limit of the lift (delta method)
 * @param liftHigh upper confidence limit of the lift (delta method)
 * @param confidence confidence level of the intervals, e.g. 0.95
 */
public record Comparison(double statistic, double degreesOfFreedom, double pValue, double control, double treatment,
    double difference, double standardError, double differenceLow, double differenceHigh, double relativeLift,
    double liftLow, double liftHigh, double confidence) {

  /**
   * Assembles a comparison from the two estimates, their variances (of the estimates, not of a
   * unit) and the quantile that sets the interval width.
   */
  static Comparison of(double statistic, double df, double pValue, double control, double treatment,
      double varControl, double varTreatment, double quantile, double confidence) {
    double difference = treatment - control;
    double se = Math.sqrt(varControl + varTreatment);
    double lift = treatment / control - 1;
    // Delta method for t/c: var ~ var_t / c^2 + t^2 var_c / c^4.
    double liftSe = Math.sqrt(varTreatment / (control * control)
        + treatment * treatment * varControl / Math.pow(control, 4));
    return new Comparison(statistic, df, pValue, control, treatment, difference, se, difference - quantile * se,
        difference + quantile * se, lift, lift - quantile * liftSe, lift + quantile * liftSe, confidence);
  }

  /** Whether the statistic crosses a registered critical |z| (or is beyond it on either side). */
  public boolean crosses(double criticalZ) {
    return Math.abs(statistic) >= criticalZ;
  }

  static void checkConfidence(double confidence) {
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }
  }
}
