package dev.arbiter.core;

import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.WindowSummary;
import java.util.List;

/** The decision logic of one registered {@link GuardrailRule}, applied to one window. */
public final class Guardrail {

  public static final String SCOPE_TREATMENT = "treatment";
  public static final List<String> SCOPES = List.of(SCOPE_TREATMENT);
  public static final String DIRECTION_MAX = "max";
  public static final String DIRECTION_MIN = "min";

  private final GuardrailRule rule;

  public Guardrail(GuardrailRule rule) {
    this.rule = rule;
  }

  public GuardrailRule rule() {
    return rule;
  }

  /**
   * Evaluates the treatment's window. A window with fewer than {@code min_samples} samples, or
   * without the metric, is inconclusive: thin windows are noise, and noise must not move a streak.
   */
  public Verdict evaluate(WindowSummary treatment) {
    double threshold = rule.getThreshold();
    if (treatment == null) {
      return Verdict.inconclusive(threshold, 0, "no_data");
    }
    long samples = Metrics.samples(rule.getMetric(), treatment.getTurns(), treatment.getUnits());
    if (samples < rule.getMinSamples()) {
      return Verdict.inconclusive(threshold, samples, "below_min_samples");
    }
    Double observed = treatment.getMetrics().get(rule.getMetric());
    if (observed == null || observed.isNaN()) {
      return Verdict.inconclusive(threshold, samples, "metric_absent");
    }
    boolean breach = DIRECTION_MAX.equals(rule.getDirection()) ? observed > threshold : observed < threshold;
    return new Verdict(breach ? Verdict.Kind.BREACH : Verdict.Kind.CLEAN, observed, threshold, samples, null);
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
}
