package dev.arbiter.core;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.stats.Comparison;
import dev.arbiter.avro.WindowSummary;

/** Builds the commands Arbiter emits, each with its deterministic id. */
public final class Commands {
  public static final String ALERT = "ALERT";
  public static final String REGISTRATION_REJECTED = "REGISTRATION_REJECTED";
  public static final String SRM_HALT = "SRM_HALT";

  private Commands() {}

  /** The command for a guardrail streak step on one window. */
  public static ControlCommand guardrail(
      ExperimentDefinition definition, Guardrail guardrail, Guardrail.Level level, WindowSummary treatment,
      WindowSummary control, Verdict verdict, Streak.Step step, int streak) {
    GuardrailRule rule = guardrail.rule();
    String action = step == Streak.Step.ACT ? level.action() : ALERT;
    Double controlValue = control == null ? null : control.getMetrics().get(rule.getMetric());
    boolean citesControl = guardrail.comparesWithControl() || guardrail.nonInferiority() || guardrail.baseline() != null;
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), rule.getId(), level.index(),
            treatment.getVariantId(), treatment.getSegment(), treatment.getWindowStart(), action))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId(treatment.getVariantId())
        .setSegment(treatment.getSegment())
        .setAction(action)
        .setRuleId(rule.getId())
        .setSeverity(level.index())
        .setMetric(rule.getMetric())
        .setObserved(verdict.observed())
        .setThreshold(verdict.threshold())
        .setControlObserved(citesControl ? controlValue : null)
        .setControlSamples(citesControl && control != null ? Metrics.samples(rule.getMetric(), control) : null)
        .setStreak(streak)
        .setWindowStart(treatment.getWindowStart())
        .setWindowEnd(treatment.getWindowEnd())
        .setSamples(verdict.samples())
        .setDryRun(guardrail.dryRun(definition.getDryRun()))
        .setEvidenceRequestIds(treatment.getEvidenceRequestIds())
        .setEventTime(treatment.getWindowEnd())
        .setReason(reason(guardrail, level, verdict, streak))
        .build();
  }

  private static String reason(Guardrail guardrail, Guardrail.Level level, Verdict verdict, int streak) {
    GuardrailRule rule = guardrail.rule();
    if (guardrail.nonInferiority()) {
      return rule.getMetric() + " treatment - control since start = " + verdict.observed() + ": significantly worse than the margin "
          + verdict.threshold() + " (one-sided alpha " + (rule.getAlpha() != null ? rule.getAlpha() : Guardrail.DEFAULT_NON_INFERIORITY_ALPHA)
          + ") in " + streak + " consecutive window(s)";
    }
    String value = switch (rule.getScope()) {
      case Guardrail.SCOPE_DIFFERENCE -> rule.getMetric() + " treatment - control";
      case Guardrail.SCOPE_RATIO -> rule.getMetric() + " treatment / control";
      default -> rule.getMetric();
    };
    String threshold = level.index() == 0 && guardrail.baseline() != null
        ? verdict.threshold() + " (control's " + guardrail.baseline().getFromControl() + " over its last "
            + guardrail.baseline().getWindows() + " windows)"
        : String.valueOf(verdict.threshold());
    return value + " = " + verdict.observed() + (Guardrail.DIRECTION_MAX.equals(rule.getDirection()) ? " > " : " < ")
        + threshold + " in " + streak + " consecutive window(s)" + (level.index() > 0 ? ", severity level " + level.index() : "");
  }

  /** The record of what a rule concluded about a window, whatever it concluded. */
  public static RuleVerdict verdict(ExperimentDefinition definition, GuardrailRule rule, Guardrail.Level level, String variant,
      WindowSummary window, Verdict verdict, int streak) {
    return RuleVerdict.newBuilder()
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setRuleId(rule.getId())
        .setSeverity(level.index())
        .setVariantId(variant)
        .setSegment(window.getSegment())
        .setWindowStart(window.getWindowStart())
        .setWindowEnd(window.getWindowEnd())
        .setVerdict(verdict.kind().name())
        .setReason(verdict.reason())
        .setObserved(verdict.observed())
        .setThreshold(Double.isNaN(verdict.threshold()) ? null : verdict.threshold())
        .setSamples(verdict.samples())
        .setStreak(streak)
        .build();
  }

  /** A sequential stop: a registered boundary crossed, or the final look reached without crossing. */
  public static ControlCommand sequentialStop(ExperimentDefinition definition, SequentialMonitor.Look look, long windowStart,
      long windowEnd, String simpsonWarning) {
    // A winner whose pooled effect may be a Simpson's paradox goes to people, not to the router.
    boolean review = look.outcome() == SequentialMonitor.Outcome.STOP_EFFICACY && simpsonWarning != null;
    String action = review ? "REVIEW" : look.outcome().name();
    Comparison c = look.comparison();
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), action, look.index(), look.variant()))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId(look.variant())
        .setSegment(Segments.ROLLUP)
        .setAction(action)
        .setMetric(definition.getPrimary().getMetric())
        .setObserved(c.treatment())
        .setThreshold(look.criticalZ())
        .setControlObserved(c.control())
        .setWindowStart(windowStart)
        .setWindowEnd(windowEnd)
        .setSamples(look.treatmentUnits())
        .setControlSamples(look.controlUnits())
        .setDryRun(definition.getDryRun())
        .setLookIndex(look.index())
        .setInformationFraction(look.fraction())
        .setZ(c.statistic())
        .setCriticalZ(look.criticalZ())
        .setPValue(c.pValue())
        .setEffect(c.difference())
        .setCiLow(c.differenceLow())
        .setCiHigh(c.differenceHigh())
        .setCumulativeAlpha(look.cumulativeAlpha())
        .setControlUnits(look.controlUnits())
        .setControlSuccesses(successes(definition, look.controlSuccesses()))
        .setTreatmentUnits(look.treatmentUnits())
        .setTreatmentSuccesses(successes(definition, look.treatmentSuccesses()))
        .setEventTime(windowEnd)
        .setReason(String.format("look %d at information %.3f: z = %.3f against the boundary %.3f%s%s", look.index(), look.fraction(),
            c.statistic(), look.criticalZ(), look.outcome() == SequentialMonitor.Outcome.STOP_NO_EFFECT ? " at the final look" : "",
            review ? "; efficacy held for review: " + simpsonWarning : ""))
        .build();
  }

  /** Successes exist only for a rate primary metric. */
  private static Long successes(ExperimentDefinition definition, long successes) {
    return Metrics.RATES.contains(definition.getPrimary().getMetric()) ? successes : null;
  }

  /** The traffic shares of a Thompson-sampling experiment after one window. */
  public static ControlCommand setAllocation(ExperimentDefinition definition, java.util.Map<String, Double> shares, long windowStart,
      long windowEnd) {
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), "SET_ALLOCATION", windowStart))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId("*")
        .setSegment(Segments.ROLLUP)
        .setAction("SET_ALLOCATION")
        .setMetric(definition.getPrimary().getMetric())
        .setWindowStart(windowStart)
        .setWindowEnd(windowEnd)
        .setDryRun(definition.getDryRun())
        .setAllocation(shares)
        .setEventTime(windowEnd)
        .setReason("Thompson sampling: posterior probability of the best " + definition.getPrimary().getMetric()
            + ", floor " + definition.getAllocationFloor())
        .build();
  }

  /** The LOOK record of the metrics topic. */
  public static SequentialLook look(ExperimentDefinition definition, SequentialMonitor.Look look, long windowEnd,
      java.util.List<dev.arbiter.avro.SecondaryRead> reads, Double mixPValue, String simpsonWarning) {
    Comparison c = look.comparison();
    return SequentialLook.newBuilder()
        .setReads(reads)
        .setSegmentMixPValue(mixPValue)
        .setSimpsonWarning(simpsonWarning)
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId(look.variant())
        .setMetric(definition.getPrimary().getMetric())
        .setPlannedFraction(look.plannedFraction())
        .setWindowEnd(windowEnd)
        .setOutcome(look.outcome().name())
        .setLookIndex(look.index())
        .setInformationFraction(look.fraction())
        .setZ(c.statistic())
        .setCriticalZ(look.criticalZ())
        .setPValue(c.pValue())
        .setEffect(c.difference())
        .setCiLow(c.differenceLow())
        .setCiHigh(c.differenceHigh())
        .setCumulativeAlpha(look.cumulativeAlpha())
        .setControlUnits(look.controlUnits())
        .setControlSuccesses(successes(definition, look.controlSuccesses()))
        .setTreatmentUnits(look.treatmentUnits())
        .setTreatmentSuccesses(successes(definition, look.treatmentSuccesses()))
        .build();
  }

  /** The halt after a sample ratio mismatch: every other result of the experiment is untrustworthy. */
  public static ControlCommand srmHalt(ExperimentDefinition definition, SampleRatioMonitor monitor, long windowStart, long windowEnd) {
    StringBuilder observed = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < definition.getVariants().size(); i++) {
      String sep = i == 0 ? "" : ", ";
      observed.append(sep).append(definition.getVariants().get(i).getId()).append('=').append(monitor.units[i]);
      expected.append(sep).append(definition.getVariants().get(i).getShare());
    }
    return ControlCommand.newBuilder()
        .setCommandId(CommandId.of(definition.getExperimentId(), definition.getVersion(), SRM_HALT))
        .setExperimentId(definition.getExperimentId())
        .setDefinitionVersion(definition.getVersion())
        .setVariantId("*")
        .setSegment(Segments.ROLLUP)
        .setAction(SRM_HALT)
        .setMetric("sample_ratio")
        .setObserved(monitor.pValue)
        .setThreshold(definition.getSrmAlpha())
        .setWindowStart(windowStart)
        .setWindowEnd(windowEnd)
        .setSamples(monitor.total())
        .setDryRun(definition.getDryRun())
        .setEventTime(windowEnd)
        .setReason("units per variant {" + observed + "} against registered shares {" + expected
            + "}: always-valid p = " + monitor.pValue + " < " + definition.getSrmAlpha())
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
