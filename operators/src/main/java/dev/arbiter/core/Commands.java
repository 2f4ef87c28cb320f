package dev.arbiter.core;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.WindowSummary;

/** Builds the commands Arbiter emits, each with its deterministic id. */
public final class Commands {
  public static final String ALERT = "ALERT";
  public static final String REGISTRATION_REJECTED = "REGISTRATION_REJECTED";

  private Commands() {}

  /** The command for a guardrail streak step on one window. */
  public static ControlCommand guardrail(
      ExperimentDefinition definition, GuardrailRule rule, WindowSummary window, Verdict verdict,
      Streak.Step step, int streak) {
    String action = step == Streak.Step.ACT ? rule.getAction() : ALERT;
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), rule.getId(),
            window.getVariantId(), window.getSegment(), window.getWindowStart(), action))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId(window.getVariantId())
        .setSegment(window.getSegment())
        .setAction(action)
        .setRuleId(rule.getId())
        .setMetric(rule.getMetric())
        .setObserved(verdict.observed())
        .setThreshold(verdict.threshold())
        .setStreak(streak)
        .setWindowStart(window.getWindowStart())
        .setWindowEnd(window.getWindowEnd())
        .setSamples(verdict.samples())
        .setDryRun(definition.getDryRun())
        .setEvidenceRequestIds(window.getEvidenceRequestIds())
        .setEventTime(window.getWindowEnd())
        .setReason(rule.getMetric() + " " + verdict.observed() + (Guardrail.DIRECTION_MAX.equals(rule.getDirection()) ? " > " : " < ")
            + verdict.threshold() + " in " + streak + " consecutive window(s)")
        .build();
  }

  /** The command that tells operators a definition was refused, and why. */
  public static ControlCommand registrationRejected(ExperimentDefinition definition, String reason, long eventTime) {
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), REGISTRATION_REJECTED, reason))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId("*")
        .setSegment("*")
        .setAction(REGISTRATION_REJECTED)
        .setDryRun(definition.getDryRun())
        .setEventTime(eventTime)
        .setReason(reason)
        .build();
  }
}
