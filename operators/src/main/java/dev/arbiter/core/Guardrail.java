package dev.arbiter.core;

import dev.arbiter.avro.ControlBaseline;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.SeverityLevel;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.stats.NonInferiorityTest;
import org.apache.commons.math3.distribution.NormalDistribution;
import java.util.ArrayList;
import java.util.List;

/**
 * The decision logic of one registered {@link GuardrailRule}, applied to one window of one
 * (treatment, segment) and, for control-relative scopes, the control's same window and segment.
 */
public final class Guardrail {

  public static final String SCOPE_TREATMENT = "treatment";
  public static final String SCOPE_DIFFERENCE = "difference_to_control";
  public static final String SCOPE_RATIO = "ratio_to_control";
  public static final String SCOPE_NON_INFERIORITY = "non_inferiority";
  public static final List<String> SCOPES = List.of(SCOPE_TREATMENT, SCOPE_DIFFERENCE, SCOPE_RATIO, SCOPE_NON_INFERIORITY);
  /** Significance of the evidence of harm in a non-inferiority rule without its own alpha. */
  public static final double DEFAULT_NON_INFERIORITY_ALPHA = 0.01;
  public static final String DIRECTION_MAX = "max";
  public static final String DIRECTION_MIN = "min";
  /** A window with more late events than this share is not trusted either way. */
  public static final double MOSTLY_LATE = 0.5;

  /** One rung of the severity ladder: level 0 is the rule's own threshold and action. */
  public record Level(int index, String action, Double fixedThreshold) {}

  private final GuardrailRule rule;
  private final List<Level> levels;

  public Guardrail(GuardrailRule rule) {
    this.rule = rule;
    List<Level> ladder = new ArrayList<>();
    ladder.add(new Level(0, rule.getAction(), rule.getThreshold() instanceof Number n ? n.doubleValue() : null));
    for (int i = 0; i < rule.getSeverities().size(); i++) {
      SeverityLevel level = rule.getSeverities().get(i);
      ladder.add(new Level(i + 1, level.getAction(), level.getThreshold()));
    }
    this.levels = List.copyOf(ladder);
  }

  public GuardrailRule rule() {
    return rule;
  }

  public List<Level> levels() {
    return levels;
  }

  /** The threshold's derivation from the control, or null when the threshold is a number. */
  public ControlBaseline baseline() {
    return rule.getThreshold() instanceof ControlBaseline baseline ? baseline : null;
  }

  public boolean nonInferiority() {
    return SCOPE_NON_INFERIORITY.equals(rule.getScope());
  }

  /**
   * The counts a rate metric rests on in one window: {trials, successes}, or null when the window
   * has none. Rates are ratios of counts, so the successes are recovered exactly.
   */
  public long[] rateCounts(WindowSummary window) {
    if (window == null) {
      return null;
    }
    Double rate = window.getMetrics().get(rule.getMetric());
    long trials = samples(window);
    if (rate == null || trials == 0) {
      return null;
    }
    return new long[] {trials, Math.round(rate * trials)};
  }

  /**
   * Non-inferiority on the cumulative data since start: a breach is significant evidence (one-sided,
   * at the rule's alpha) that the treatment is worse than the control by more than the margin. Too
   * little data, or no such evidence, is not a breach: a guardrail must not act on noise.
   */
  public Verdict evaluateNonInferiority(RateTally treatment, RateTally control) {
    double margin = rule.getMargin();
    double alpha = rule.getAlpha() != null ? rule.getAlpha() : DEFAULT_NON_INFERIORITY_ALPHA;
    boolean higherIsBetter = DIRECTION_MIN.equals(rule.getDirection());
    double threshold = higherIsBetter ? -margin : margin;
    if (treatment == null || control == null || treatment.trials < Math.max(1, rule.getMinSamples())
        || control.trials < Math.max(1, rule.getMinSamples())) {
      return Verdict.inconclusive(threshold, treatment == null ? 0 : treatment.trials, "below_min_samples");
    }
    double pt = treatment.successes / (double) treatment.trials;
    double pc = control.successes / (double) control.trials;
    double se = Math.sqrt(pt * (1 - pt) / treatment.trials + pc * (1 - pc) / control.trials);
    if (!(se > 0)) {
      return Verdict.inconclusive(threshold, treatment.trials, "no_variance");
    }
    NonInferiorityTest.Result test = NonInferiorityTest.of(pt - pc, se, margin,
        higherIsBetter ? NonInferiorityTest.Direction.HIGHER_IS_BETTER : NonInferiorityTest.Direction.LOWER_IS_BETTER, alpha);
    // test.z() measures the distance from the margin on the good side; far on the bad side is harm.
    boolean harm = test.z() < -HARM_QUANTILE.inverseCumulativeProbability(1 - alpha);
    return new Verdict(harm ? Verdict.Kind.BREACH : Verdict.Kind.CLEAN, pt - pc, threshold, treatment.trials, null);
  }

  private static final NormalDistribution HARM_QUANTILE = new NormalDistribution(null, 0, 1);

  public boolean comparesWithControl() {
    return SCOPE_DIFFERENCE.equals(rule.getScope()) || SCOPE_RATIO.equals(rule.getScope());
  }

  /**
   * Evaluates a window against one threshold.
   *
   * @param treatment the treatment's summary, null when it had no traffic
   * @param control the control's summary of the same window and segment, null when it had none
   * @param threshold the level's threshold (derived from the control's history when the rule says so)
   */
  public Verdict evaluate(WindowSummary treatment, WindowSummary control, double threshold) {
    String quality = dataQualityProblem(treatment, control);
    if (quality != null) {
      return Verdict.inconclusive(threshold, treatment == null ? 0 : samples(treatment), quality);
    }
    long samples = samples(treatment);
    if (samples < rule.getMinSamples()) {
      return Verdict.inconclusive(threshold, samples, "below_min_samples");
    }
    Double value = treatment.getMetrics().get(rule.getMetric());
    if (value == null || value.isNaN()) {
      return Verdict.inconclusive(threshold, samples, "metric_absent");
    }
    double observed = value;
    if (comparesWithControl()) {
      if (samples(control) < rule.getMinSamples()) {
        return Verdict.inconclusive(threshold, samples, "control_below_min_samples");
      }
      Double controlValue = control.getMetrics().get(rule.getMetric());
      if (controlValue == null || controlValue.isNaN()) {
        return Verdict.inconclusive(threshold, samples, "control_metric_absent");
      }
      if (SCOPE_RATIO.equals(rule.getScope())) {
        if (controlValue == 0) {
          return Verdict.inconclusive(threshold, samples, "control_value_zero");
        }
        observed = value / controlValue;
      } else {
        observed = value - controlValue;
      }
    }
    boolean breach = DIRECTION_MAX.equals(rule.getDirection()) ? observed > threshold : observed < threshold;
    return new Verdict(breach ? Verdict.Kind.BREACH : Verdict.Kind.CLEAN, observed, threshold, samples, null);
  }

  /**
   * A window where one arm had traffic and the other none, or whose events mostly came late, says
   * more about the pipeline than about the treatment: it is never read as a pass or a breach.
   */
  static String dataQualityProblem(WindowSummary treatment, WindowSummary control) {
    boolean treatmentEmpty = treatment == null || treatment.getTurns() == 0;
    boolean controlEmpty = control == null || control.getTurns() == 0;
    if (treatmentEmpty) {
      return controlEmpty ? "no_data" : "treatment_without_traffic";
    }
    if (controlEmpty) {
      return "control_without_traffic";
    }
    if (mostlyLate(treatment) || mostlyLate(control)) {
      return "mostly_late";
    }
    return null;
  }

  private static boolean mostlyLate(WindowSummary window) {
    return window.getLateEvents() > MOSTLY_LATE * window.getTurns();
  }

  private long samples(WindowSummary window) {
    return Metrics.samples(rule.getMetric(), window);
  }

  /**
   * Whether the rule watches a window segment: {@code *} is the rollup, {@code device=*} every
   * device value, {@code device=mobile} one value.
   */
  public boolean watches(String segment) {
    for (String pattern : rule.getSegments()) {
      if (pattern.equals(segment)) {
        return true;
      }
      if (pattern.endsWith("=*") && !segment.equals("*")
          && segment.startsWith(pattern.substring(0, pattern.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  /** The rule's own dry-run setting, else the definition's. */
  public boolean dryRun(boolean definitionDryRun) {
    return rule.getDryRun() != null ? rule.getDryRun() : definitionDryRun;
  }
}
