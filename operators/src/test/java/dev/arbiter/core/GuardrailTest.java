package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.SeverityLevel;
import dev.arbiter.avro.WindowSummary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardrailTest {

  static GuardrailRule rule(String metric, String scope, String direction, double threshold, long minSamples, List<String> segments) {
    return GuardrailRule.newBuilder().setId("r").setMetric(metric).setScope(scope).setDirection(direction).setThreshold(threshold)
        .setMinSamples(minSamples).setAction("ROLLBACK").setSegments(segments).build();
  }

  static GuardrailRule rule(String metric, String direction, double threshold, long minSamples) {
    return rule(metric, "treatment", direction, threshold, minSamples, List.of("*"));
  }

  static WindowSummary window(String variant, long turns, long late, Map<String, Double> metrics, Map<String, Long> samples) {
    return WindowSummary.newBuilder().setExperimentId("e").setDefinitionVersion(1).setVariantId(variant).setSegment("*")
        .setWindowStart(0).setWindowEnd(60_000).setTurns(turns).setUnits(turns / 2).setErrors(0).setUnsafe(0).setEmptyResponses(0)
        .setCostUsd(0).setPromptTokens(0).setCompletionTokens(0).setLateEvents(late).setMetrics(metrics).setSamples(samples).build();
  }

  static WindowSummary treatment(long turns, Map<String, Double> metrics) {
    return window("treatment", turns, 0, metrics, Map.of());
  }

  static WindowSummary control(long turns, Map<String, Double> metrics) {
    return window("control", turns, 0, metrics, Map.of());
  }

  static final WindowSummary ANY_CONTROL = control(200, Map.of());

  @Test
  void maxRuleBreachesAboveThreshold() {
    Guardrail latency = new Guardrail(rule("latency_p95_ms", "max", 3000, 50));
    assertThat(latency.evaluate(treatment(100, Map.of("latency_p95_ms", 3100.0)), ANY_CONTROL, 3000).kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(latency.evaluate(treatment(100, Map.of("latency_p95_ms", 3000.0)), ANY_CONTROL, 3000).kind()).isEqualTo(Verdict.Kind.CLEAN);
  }

  @Test
  void minRuleBreachesBelowThreshold() {
    Guardrail safety = new Guardrail(rule("safety_pass_rate", "min", 0.995, 50));
    Verdict verdict = safety.evaluate(treatment(400, Map.of("safety_pass_rate", 0.99)), ANY_CONTROL, 0.995);
    assertThat(verdict.kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(verdict.observed()).isEqualTo(0.99);
    assertThat(verdict.samples()).isEqualTo(400);
    assertThat(safety.evaluate(treatment(400, Map.of("safety_pass_rate", 0.999)), ANY_CONTROL, 0.995).kind())
        .isEqualTo(Verdict.Kind.CLEAN);
  }

  @Test
  void underSampledOrMissingMetricIsInconclusive() {
    Guardrail latency = new Guardrail(rule("latency_p95_ms", "max", 3000, 50));
    Verdict thin = latency.evaluate(treatment(49, Map.of("latency_p95_ms", 9000.0)), ANY_CONTROL, 3000);
    assertThat(thin.kind()).isEqualTo(Verdict.Kind.INCONCLUSIVE);
    assertThat(thin.reason()).isEqualTo("below_min_samples");
    assertThat(latency.evaluate(treatment(100, Map.of()), ANY_CONTROL, 3000).reason()).isEqualTo("metric_absent");
  }

  @Test
  void oneArmWithoutTrafficOrMostlyLateEventsIsNeverAPassOrABreach() {
    Guardrail latency = new Guardrail(rule("latency_p95_ms", "max", 3000, 50));
    WindowSummary slow = treatment(100, Map.of("latency_p95_ms", 9000.0));
    assertThat(latency.evaluate(null, ANY_CONTROL, 3000).reason()).isEqualTo("treatment_without_traffic");
    assertThat(latency.evaluate(slow, null, 3000).reason()).isEqualTo("control_without_traffic");
    assertThat(latency.evaluate(null, null, 3000).reason()).isEqualTo("no_data");
    WindowSummary late = window("treatment", 100, 51, Map.of("latency_p95_ms", 9000.0), Map.of());
    assertThat(latency.evaluate(late, ANY_CONTROL, 3000).reason()).isEqualTo("mostly_late");
  }

  @Test
  void metricsWithTheirOwnSampleCountUseIt() {
    Guardrail cost = new Guardrail(rule("cost_per_unit_usd", "max", 0.08, 50));
    assertThat(cost.evaluate(window("treatment", 500, 0, Map.of("cost_per_unit_usd", 0.2), Map.of("cost_per_unit_usd", 49L)),
        ANY_CONTROL, 0.08).kind()).isEqualTo(Verdict.Kind.INCONCLUSIVE);
    assertThat(cost.evaluate(window("treatment", 500, 0, Map.of("cost_per_unit_usd", 0.2), Map.of("cost_per_unit_usd", 50L)),
        ANY_CONTROL, 0.08).kind()).isEqualTo(Verdict.Kind.BREACH);
  }

  @Test
  void ratioToControlComparesTheSameWindow() {
    Guardrail cost = new Guardrail(rule("cost_per_turn_usd", "ratio_to_control", "max", 1.2, 50, List.of("*")));
    Verdict verdict = cost.evaluate(treatment(200, Map.of("cost_per_turn_usd", 0.0030)),
        control(200, Map.of("cost_per_turn_usd", 0.0020)), 1.2);
    assertThat(verdict.kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(verdict.observed()).isCloseTo(1.5, org.assertj.core.data.Offset.offset(1e-12));
    // Both arms got cheaper by the same factor: no breach, though the absolute value moved.
    assertThat(cost.evaluate(treatment(200, Map.of("cost_per_turn_usd", 0.0022)), control(200, Map.of("cost_per_turn_usd", 0.0020)), 1.2)
        .kind()).isEqualTo(Verdict.Kind.CLEAN);
    assertThat(cost.evaluate(treatment(200, Map.of("cost_per_turn_usd", 0.003)), control(200, Map.of("cost_per_turn_usd", 0.0)), 1.2)
        .reason()).isEqualTo("control_value_zero");
    assertThat(cost.evaluate(treatment(200, Map.of("cost_per_turn_usd", 0.003)), control(20, Map.of("cost_per_turn_usd", 0.002)), 1.2)
        .reason()).isEqualTo("control_below_min_samples");
  }

  @Test
  void differenceToControlComparesTheSameWindow() {
    Guardrail safety = new Guardrail(rule("safety_pass_rate", "difference_to_control", "min", -0.01, 50, List.of("*")));
    Verdict verdict = safety.evaluate(treatment(400, Map.of("safety_pass_rate", 0.97)), control(400, Map.of("safety_pass_rate", 0.99)), -0.01);
    assertThat(verdict.kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(verdict.observed()).isCloseTo(-0.02, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(safety.evaluate(treatment(400, Map.of("safety_pass_rate", 0.985)), control(400, Map.of("safety_pass_rate", 0.99)), -0.01)
        .kind()).isEqualTo(Verdict.Kind.CLEAN);
  }

  @Test
  void severityLadderAddsHarsherLevelsWithTheirOwnActions() {
    GuardrailRule ladder = GuardrailRule.newBuilder(rule("latency_p95_ms", "max", 3000, 50)).setAction("ALERT")
        .setSeverities(List.of(new SeverityLevel(5000.0, "ROLLBACK"))).build();
    Guardrail guardrail = new Guardrail(ladder);
    assertThat(guardrail.levels()).extracting(Guardrail.Level::index, Guardrail.Level::action, Guardrail.Level::fixedThreshold)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "ALERT", 3000.0), org.assertj.core.groups.Tuple.tuple(1, "ROLLBACK", 5000.0));
  }

  @Test
  void segmentPatterns() {
    Guardrail rollupOnly = new Guardrail(rule("error_rate", "treatment", "max", 0.01, 0, List.of("*")));
    assertThat(rollupOnly.watches("*")).isTrue();
    assertThat(rollupOnly.watches("device=mobile")).isFalse();
    Guardrail everyDevice = new Guardrail(rule("error_rate", "treatment", "max", 0.01, 0, List.of("device=*")));
    assertThat(everyDevice.watches("device=mobile")).isTrue();
    assertThat(everyDevice.watches("devices=mobile")).isFalse();
    assertThat(everyDevice.watches("*")).isFalse();
    Guardrail oneValue = new Guardrail(rule("error_rate", "treatment", "max", 0.01, 0, List.of("device=mobile")));
    assertThat(oneValue.watches("device=mobile")).isTrue();
    assertThat(oneValue.watches("device=desktop")).isFalse();
  }

  @Test
  void ruleDryRunOverridesTheDefinition() {
    assertThat(new Guardrail(rule("error_rate", "max", 0.01, 0)).dryRun(true)).isTrue();
    assertThat(new Guardrail(GuardrailRule.newBuilder(rule("error_rate", "max", 0.01, 0)).setDryRun(false).build()).dryRun(true)).isFalse();
    assertThat(new Guardrail(GuardrailRule.newBuilder(rule("error_rate", "max", 0.01, 0)).setDryRun(true).build()).dryRun(false)).isTrue();
  }

  static RateTally tally(long trials, long successes) {
    RateTally tally = new RateTally();
    tally.add(trials, successes);
    return tally;
  }

  @Test
  void nonInferiorityBreachesOnlyOnSignificantHarmBeyondTheMargin() {
    GuardrailRule rule = GuardrailRule.newBuilder(rule("safety_pass_rate", "non_inferiority", "min", 0.0, 500, List.of("*")))
        .setMargin(0.005).setAlpha(0.01).build();
    Guardrail safety = new Guardrail(rule);
    // 98.0% against 99.5% over 20,000 turns each: 1.5 points worse, far beyond the half-point margin.
    Verdict harm = safety.evaluateNonInferiority(tally(20_000, 19_600), tally(20_000, 19_900));
    assertThat(harm.kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(harm.observed()).isCloseTo(-0.015, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(harm.threshold()).isEqualTo(-0.005);
    // Worse by about the margin: no significant evidence of more harm than allowed.
    assertThat(safety.evaluateNonInferiority(tally(20_000, 19_800), tally(20_000, 19_900)).kind()).isEqualTo(Verdict.Kind.CLEAN);
    // The same 1.5-point gap on 600 turns is noise.
    assertThat(safety.evaluateNonInferiority(tally(600, 588), tally(600, 597)).kind()).isEqualTo(Verdict.Kind.CLEAN);
    assertThat(safety.evaluateNonInferiority(tally(400, 392), tally(20_000, 19_900)).reason()).isEqualTo("below_min_samples");
  }

  @Test
  void nonInferiorityForLowerIsBetterMetrics() {
    GuardrailRule rule = GuardrailRule.newBuilder(rule("error_rate", "non_inferiority", "max", 0.0, 500, List.of("*")))
        .setMargin(0.002).build();
    Guardrail errors = new Guardrail(rule);
    assertThat(errors.evaluateNonInferiority(tally(50_000, 500), tally(50_000, 50)).kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(errors.evaluateNonInferiority(tally(50_000, 60), tally(50_000, 50)).kind()).isEqualTo(Verdict.Kind.CLEAN);
  }
}
