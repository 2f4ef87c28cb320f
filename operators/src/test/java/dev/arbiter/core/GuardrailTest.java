package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.WindowSummary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardrailTest {

  static GuardrailRule rule(String metric, String direction, double threshold, long minSamples, List<String> segments) {
    return GuardrailRule.newBuilder().setId("r").setMetric(metric).setDirection(direction).setThreshold(threshold)
        .setMinSamples(minSamples).setAction("ROLLBACK").setSegments(segments).build();
  }

  static WindowSummary window(long turns, long units, Map<String, Double> metrics) {
    return WindowSummary.newBuilder().setExperimentId("e").setDefinitionVersion(1).setVariantId("treatment").setSegment("*")
        .setWindowStart(0).setWindowEnd(60_000).setTurns(turns).setUnits(units).setErrors(0).setUnsafe(0).setEmptyResponses(0)
        .setCostUsd(0).setPromptTokens(0).setCompletionTokens(0).setMetrics(metrics).build();
  }

  @Test
  void maxRuleBreachesAboveThreshold() {
    Guardrail latency = new Guardrail(rule("latency_p95_ms", "max", 3000, 50, List.of("*")));
    assertThat(latency.evaluate(window(100, 40, Map.of("latency_p95_ms", 3100.0))).kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(latency.evaluate(window(100, 40, Map.of("latency_p95_ms", 3000.0))).kind()).isEqualTo(Verdict.Kind.CLEAN);
  }

  @Test
  void minRuleBreachesBelowThreshold() {
    Guardrail safety = new Guardrail(rule("safety_pass_rate", "min", 0.995, 50, List.of("*")));
    Verdict verdict = safety.evaluate(window(400, 100, Map.of("safety_pass_rate", 0.99)));
    assertThat(verdict.kind()).isEqualTo(Verdict.Kind.BREACH);
    assertThat(verdict.observed()).isEqualTo(0.99);
    assertThat(verdict.samples()).isEqualTo(400);
    assertThat(safety.evaluate(window(400, 100, Map.of("safety_pass_rate", 0.999))).kind()).isEqualTo(Verdict.Kind.CLEAN);
  }

  @Test
  void underSampledOrMissingWindowIsInconclusive() {
    Guardrail latency = new Guardrail(rule("latency_p95_ms", "max", 3000, 50, List.of("*")));
    Verdict thin = latency.evaluate(window(49, 20, Map.of("latency_p95_ms", 9000.0)));
    assertThat(thin.kind()).isEqualTo(Verdict.Kind.INCONCLUSIVE);
    assertThat(thin.reason()).isEqualTo("below_min_samples");
    assertThat(latency.evaluate(null).kind()).isEqualTo(Verdict.Kind.INCONCLUSIVE);
    assertThat(latency.evaluate(window(100, 40, Map.of())).reason()).isEqualTo("metric_absent");
  }

  @Test
  void perUnitMetricsCountUnitsAsSamples() {
    Guardrail cost = new Guardrail(rule("cost_per_unit_usd", "max", 0.08, 50, List.of("*")));
    assertThat(cost.evaluate(window(500, 49, Map.of("cost_per_unit_usd", 0.2))).kind()).isEqualTo(Verdict.Kind.INCONCLUSIVE);
    assertThat(cost.evaluate(window(500, 50, Map.of("cost_per_unit_usd", 0.2))).kind()).isEqualTo(Verdict.Kind.BREACH);
  }

  @Test
  void segmentPatterns() {
    Guardrail rollupOnly = new Guardrail(rule("error_rate", "max", 0.01, 0, List.of("*")));
    assertThat(rollupOnly.watches("*")).isTrue();
    assertThat(rollupOnly.watches("device=mobile")).isFalse();
    Guardrail everyDevice = new Guardrail(rule("error_rate", "max", 0.01, 0, List.of("device=*")));
    assertThat(everyDevice.watches("device=mobile")).isTrue();
    assertThat(everyDevice.watches("devices=mobile")).isFalse();
    assertThat(everyDevice.watches("*")).isFalse();
    Guardrail oneValue = new Guardrail(rule("error_rate", "max", 0.01, 0, List.of("device=mobile")));
    assertThat(oneValue.watches("device=mobile")).isTrue();
    assertThat(oneValue.watches("device=desktop")).isFalse();
  }
}
