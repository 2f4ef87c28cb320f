package dev.arbiter.job.simulate;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.avro.VariantShare;
import java.util.List;

/**
 * DESIGN.md's running example: a retailer's support bot, control prompt "Be helpful." against a
 * treatment that cites the return or shipping policy and uses the customer's name.
 */
public final class RunningExample {
  public static final String EXPERIMENT_ID = "support-bot-prompt-v2";
  public static final String CONTROL = "control";
  public static final String TREATMENT = "treatment";
  public static final long WINDOW_MS = 60_000;
  public static final long ALLOWED_LATENESS_MS = 30_000;

  private RunningExample() {}

  public static ExperimentDefinition definition(long startTime) {
    return ExperimentDefinition.newBuilder()
        .setExperimentId(EXPERIMENT_ID)
        .setVersion(1)
        .setControlVariant(CONTROL)
        .setVariants(List.of(new VariantShare(CONTROL, 0.5), new VariantShare(TREATMENT, 0.5)))
        .setRandomizationUnit("conversation")
        .setAssignmentSalt(EXPERIMENT_ID)
        .setStartTime(startTime)
        .setBurnInMs(0)
        .setWindowMs(WINDOW_MS)
        .setAllowedLatenessMs(ALLOWED_LATENESS_MS)
        .setSegments(List.of("device"))
        .setDryRun(false)
        .setPrimary(PrimaryMetricDesign.newBuilder()
            .setMetric("resolution_rate").setAlpha(0.05).setPower(0.8).setSides(2)
            .setBaseline(0.60).setMde(0.05).setPlannedUnitsPerArm(1471).setSpending("obrien_fleming")
            .setLooks(List.of(new LookSpec(0.25, null, null), new LookSpec(0.5, null, null), new LookSpec(0.75, null, null), new LookSpec(1.0, null, null)))
            .build())
        .setGuardrails(List.of(
            rule("safety", "safety_pass_rate", "min", 0.995, "ROLLBACK", 200),
            rule("latency", "latency_p95_ms", "max", 3000, "PAUSE_EXPOSURE", 50),
            rule("errors", "error_rate", "max", 0.001, "ROLLBACK", 1000),
            rule("cost", "cost_per_unit_usd", "max", 0.08, "REVIEW", 50)))
        .build();
  }

  private static GuardrailRule rule(String id, String metric, String direction, double threshold, String action,
      long minSamples) {
    return GuardrailRule.newBuilder()
        .setId(id).setMetric(metric).setScope("treatment").setDirection(direction).setThreshold(threshold)
        .setMinSamples(minSamples).setConsecutiveWindows(2).setRecoveryWindows(1).setAction(action)
        .setSegments(List.of("*"))
        .build();
  }
}
