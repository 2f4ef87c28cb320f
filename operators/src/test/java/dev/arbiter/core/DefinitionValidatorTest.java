package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.avro.VariantShare;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class DefinitionValidatorTest {

  static ExperimentDefinition definition(Consumer<ExperimentDefinition.Builder> change) {
    ExperimentDefinition.Builder builder = ExperimentDefinition.newBuilder().setExperimentId("support-bot-prompt-v2").setVersion(1)
        .setControlVariant("control").setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", 0.5)))
        .setAssignmentSalt("s").setStartTime(1_763_800_000_000L).setWindowMs(60_000).setAllowedLatenessMs(30_000)
        .setSegments(List.of("device"))
        .setPrimary(PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setPlannedUnitsPerArm(1471)
            .setLooks(List.of(new LookSpec(0.25, null, null), new LookSpec(0.5, null, null), new LookSpec(0.75, null, null), new LookSpec(1.0, null, null)))
            .build())
        .setGuardrails(List.of(GuardrailRule.newBuilder().setId("latency").setMetric("latency_p95_ms").setDirection("max")
            .setThreshold(3000.0).setMinSamples(50).setAction("PAUSE_EXPOSURE").setSegments(List.of("*", "device=*")).build()));
    change.accept(builder);
    return builder.build();
  }

  static List<String> problems(Consumer<ExperimentDefinition.Builder> change) {
    return DefinitionValidator.problems(definition(change));
  }

  @Test
  void runningExampleIsValid() {
    assertThat(problems(b -> { })).isEmpty();
  }

  @Test
  void sharesMustSumToOneAndControlMustExist() {
    assertThat(problems(b -> b.setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", 0.6)))))
        .anyMatch(p -> p.contains("shares must sum to 1"));
    assertThat(problems(b -> b.setControlVariant("baseline"))).anyMatch(p -> p.contains("control_variant 'baseline'"));
    assertThat(problems(b -> b.setVariants(List.of(new VariantShare("control", 1.0))))).anyMatch(p -> p.contains("at least two"));
  }

  @Test
  void looksMustIncreaseToOne() {
    assertThat(problems(b -> b.setPrimary(PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setPlannedUnitsPerArm(10)
        .setLooks(List.of(new LookSpec(0.5, null, null), new LookSpec(0.25, null, null), new LookSpec(1.0, null, null))).build())))
        .anyMatch(p -> p.contains("looks[1].fraction must increase"));
    assertThat(problems(b -> b.setPrimary(PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setPlannedUnitsPerArm(10)
        .setLooks(List.of(new LookSpec(0.5, null, null), new LookSpec(0.9, null, null))).build())))
        .anyMatch(p -> p.contains("last look's fraction must be 1"));
  }

  @Test
  void rulesAreCheckedFieldByField() {
    GuardrailRule bad = GuardrailRule.newBuilder().setId("x").setMetric("latency_p96_ms").setScope("vibes").setDirection("up")
        .setThreshold(Double.NaN).setConsecutiveWindows(0).setAction("pause it").setSegments(List.of("region=*")).build();
    List<String> problems = problems(b -> b.setGuardrails(List.of(bad)));
    assertThat(problems).anyMatch(p -> p.contains("guardrails[0].metric 'latency_p96_ms' is unknown"))
        .anyMatch(p -> p.contains("guardrails[0].scope 'vibes'"))
        .anyMatch(p -> p.contains("guardrails[0].direction must be max or min"))
        .anyMatch(p -> p.contains("guardrails[0].threshold must be a finite number"))
        .anyMatch(p -> p.contains("guardrails[0].consecutive_windows must be 1 or more"))
        .anyMatch(p -> p.contains("guardrails[0].action 'pause it'"))
        .anyMatch(p -> p.contains("guardrails[0].segments: 'region=*'"));
  }

  @Test
  void windowsMustBeReal() {
    assertThat(problems(b -> b.setWindowMs(0))).anyMatch(p -> p.contains("window_ms must be at least"));
    assertThat(problems(b -> b.setAllowedLatenessMs(-1))).anyMatch(p -> p.contains("allowed_lateness_ms"));
  }

  @Test
  void severityLadderMustGetHarsherAndBaselinesMustBeComplete() {
    GuardrailRule softer = GuardrailRule.newBuilder().setId("x").setMetric("latency_p95_ms").setDirection("max").setThreshold(3000.0)
        .setAction("ALERT").setSeverities(List.of(new dev.arbiter.avro.SeverityLevel(2500.0, "ROLLBACK"))).build();
    assertThat(problems(b -> b.setGuardrails(List.of(softer))))
        .anyMatch(p -> p.contains("guardrails[0].severities[0].threshold must be harsher than the level before it (above 3000.0)"));
    GuardrailRule baseline = GuardrailRule.newBuilder().setId("y").setMetric("latency_p95_ms").setDirection("max")
        .setThreshold(new dev.arbiter.avro.ControlBaseline("p42", 2)).setAction("ALERT").build();
    assertThat(problems(b -> b.setGuardrails(List.of(baseline))))
        .anyMatch(p -> p.contains("threshold.from_control must be one of"))
        .anyMatch(p -> p.contains("threshold.windows must be between 3 and 1000"));
  }

  @Test
  void cacheSplitLatenciesAreRuleMetrics() {
    GuardrailRule warm = GuardrailRule.newBuilder().setId("w").setMetric("latency_p95_ms.warm").setDirection("max").setThreshold(3000.0)
        .setAction("PAUSE_EXPOSURE").build();
    assertThat(problems(b -> b.setGuardrails(List.of(warm)))).isEmpty();
  }

  @Test
  void nonInferiorityNeedsAMarginAndARate() {
    GuardrailRule noMargin = GuardrailRule.newBuilder().setId("ni").setMetric("latency_p95_ms").setScope("non_inferiority")
        .setDirection("min").setThreshold(0.0).setAction("ROLLBACK").build();
    assertThat(problems(b -> b.setGuardrails(List.of(noMargin))))
        .anyMatch(p -> p.contains("guardrails[0].margin must be a positive number"))
        .anyMatch(p -> p.contains("is not a rate"));
  }
}
