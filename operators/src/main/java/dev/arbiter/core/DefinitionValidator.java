package dev.arbiter.core;

import dev.arbiter.avro.ControlBaseline;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.avro.SeverityLevel;
import dev.arbiter.avro.VariantShare;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a definition before it may govern traffic. Each problem is one sentence that names the
 * field and says what to fix; a definition with any problem is rejected whole.
 */
public final class DefinitionValidator {

  private static final Pattern ACTION = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final Pattern ATTRIBUTE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final double SHARE_TOLERANCE = 1e-6;
  /** Shortest window: shorter ones hold too few samples for any rule and flood the metrics topic. */
  public static final long MIN_WINDOW_MS = 1_000;

  private DefinitionValidator() {}

  public static List<String> problems(ExperimentDefinition d) {
    List<String> problems = new ArrayList<>();
    if (d.getExperimentId().isBlank() || d.getExperimentId().length() > Plausibility.MAX_ID_LENGTH) {
      problems.add("experiment_id must be 1 to " + Plausibility.MAX_ID_LENGTH + " characters");
    }
    if (d.getVersion() < 1) {
      problems.add("version must be 1 or more, got " + d.getVersion());
    }
    variants(d, problems);
    if (d.getStartTime() <= 0) {
      problems.add("start_time must be a positive epoch millisecond, got " + d.getStartTime());
    }
    if (d.getBurnInMs() < 0) {
      problems.add("burn_in_ms must be 0 or more, got " + d.getBurnInMs());
    }
    if (d.getWindowMs() < MIN_WINDOW_MS) {
      problems.add("window_ms must be at least " + MIN_WINDOW_MS + ", got " + d.getWindowMs());
    }
    if (d.getAllowedLatenessMs() < 0) {
      problems.add("allowed_lateness_ms must be 0 or more, got " + d.getAllowedLatenessMs());
    }
    Set<String> attributes = new HashSet<>();
    for (String attribute : d.getSegments()) {
      if (!ATTRIBUTE.matcher(attribute).matches()) {
        problems.add("segments: '" + attribute + "' is not an attribute name (letters, digits, _ . -)");
      } else if (!attributes.add(attribute)) {
        problems.add("segments: '" + attribute + "' is listed twice");
      }
    }
    if (d.getPrimary() != null) {
      primary(d.getPrimary(), problems);
    }
    for (String metric : d.getSecondaryMetrics()) {
      if (!Metrics.RATES.contains(metric)) {
        problems.add("secondary_metrics: '" + metric + "' is not a rate; secondary reads work on " + new java.util.TreeSet<>(Metrics.RATES));
      }
    }
    if (!"fixed".equals(d.getAllocation()) && !"thompson".equals(d.getAllocation())) {
      problems.add("allocation must be fixed or thompson, got '" + d.getAllocation() + "'");
    }
    if ("thompson".equals(d.getAllocation())) {
      if (d.getPrimary() == null || !Metrics.RATES.contains(d.getPrimary().getMetric())) {
        problems.add("allocation thompson needs a rate as primary metric (the Bernoulli reward)");
      }
      if (!(d.getAllocationFloor() >= 0 && d.getAllocationFloor() * d.getVariants().size() < 1)) {
        problems.add("allocation_floor must be in [0, 1 / variants), got " + d.getAllocationFloor());
      }
    }
    Set<String> ruleIds = new HashSet<>();
    for (int i = 0; i < d.getGuardrails().size(); i++) {
      rule(d.getGuardrails().get(i), "guardrails[" + i + "]", attributes, ruleIds, problems);
    }
    return problems;
  }

  private static void variants(ExperimentDefinition d, List<String> problems) {
    if (d.getVariants().size() < 2) {
      problems.add("variants must list at least two variants (a control and a treatment)");
    }
    Set<String> ids = new HashSet<>();
    double sum = 0;
    for (VariantShare v : d.getVariants()) {
      if (v.getId().isBlank() || !ids.add(v.getId())) {
        problems.add("variants: id '" + v.getId() + "' is empty or repeated");
      }
      if (!(v.getShare() > 0 && v.getShare() <= 1)) {
        problems.add("variants: share of '" + v.getId() + "' must be in (0, 1], got " + v.getShare());
      }
      sum += v.getShare();
    }
    if (Math.abs(sum - 1.0) > SHARE_TOLERANCE) {
      problems.add("variants: shares must sum to 1, they sum to " + sum);
    }
    if (!ids.contains(d.getControlVariant())) {
      problems.add("control_variant '" + d.getControlVariant() + "' is not one of the variants " + ids);
    }
  }

  private static void primary(PrimaryMetricDesign p, List<String> problems) {
    if (!Metrics.sequentiallyTestable(p.getMetric())) {
      problems.add("primary.metric '" + p.getMetric() + "' cannot be tested sequentially; use a rate " + new java.util.TreeSet<>(Metrics.RATES)
          + ", a unit-level mean (cost_per_unit_usd, judge_<axis>_mean) or the ratio cost_per_turn_usd");
    }
    if (!(p.getAlpha() > 0 && p.getAlpha() < 1)) {
      problems.add("primary.alpha must be in (0, 1), got " + p.getAlpha());
    }
    if (!(p.getPower() > 0 && p.getPower() < 1)) {
      problems.add("primary.power must be in (0, 1), got " + p.getPower());
    }
    if (p.getSides() != 1 && p.getSides() != 2) {
      problems.add("primary.sides must be 1 or 2, got " + p.getSides());
    }
    if (p.getPlannedUnitsPerArm() < 1) {
      problems.add("primary.planned_units_per_arm must be 1 or more, got " + p.getPlannedUnitsPerArm());
    }
    List<LookSpec> looks = p.getLooks();
    if (looks.isEmpty()) {
      problems.add("primary.looks must hold at least one look (the final one, fraction 1)");
      return;
    }
    double previous = 0;
    for (int i = 0; i < looks.size(); i++) {
      double fraction = looks.get(i).getFraction();
      if (!(fraction > previous && fraction <= 1)) {
        problems.add("primary.looks[" + i + "].fraction must increase within (0, 1], got " + fraction + " after " + previous);
      }
      previous = fraction;
      Double futility = looks.get(i).getFutilityZ();
      if (futility != null && (!Double.isFinite(futility) || (looks.get(i).getCriticalZ() != null && futility >= looks.get(i).getCriticalZ()))) {
        problems.add("primary.looks[" + i + "].futility_z must be a finite number below the look's critical_z, got " + futility);
      }
    }
    if (Math.abs(looks.get(looks.size() - 1).getFraction() - 1.0) > 1e-9) {
      problems.add("primary.looks: the last look's fraction must be 1, got " + looks.get(looks.size() - 1).getFraction());
    }
  }

  private static void rule(GuardrailRule r, String where, Set<String> attributes, Set<String> ruleIds, List<String> problems) {
    if (r.getId().isBlank() || !ruleIds.add(r.getId())) {
      problems.add(where + ".id '" + r.getId() + "' is empty or repeated");
    }
    if (!Metrics.isKnown(r.getMetric())) {
      problems.add(where + ".metric '" + r.getMetric() + "' is unknown; known metrics: " + new java.util.TreeSet<>(Metrics.KNOWN)
          + " and judge_<axis>_mean");
    }
    if (!Guardrail.SCOPES.contains(r.getScope())) {
      problems.add(where + ".scope '" + r.getScope() + "' is not supported; use one of " + Guardrail.SCOPES);
    }
    if (!Guardrail.DIRECTION_MAX.equals(r.getDirection()) && !Guardrail.DIRECTION_MIN.equals(r.getDirection())) {
      problems.add(where + ".direction must be max or min, got '" + r.getDirection() + "'");
    }
    if (r.getThreshold() instanceof Number number) {
      double threshold = number.doubleValue();
      if (!Double.isFinite(threshold)) {
        problems.add(where + ".threshold must be a finite number");
      }
      boolean max = Guardrail.DIRECTION_MAX.equals(r.getDirection());
      for (int i = 0; i < r.getSeverities().size(); i++) {
        SeverityLevel level = r.getSeverities().get(i);
        double previous = i == 0 ? threshold : r.getSeverities().get(i - 1).getThreshold();
        if (!Double.isFinite(level.getThreshold()) || (max ? level.getThreshold() <= previous : level.getThreshold() >= previous)) {
          problems.add(where + ".severities[" + i + "].threshold must be harsher than the level before it ("
              + (max ? "above " : "below ") + previous + "), got " + level.getThreshold());
        }
        if (!ACTION.matcher(level.getAction()).matches()) {
          problems.add(where + ".severities[" + i + "].action '" + level.getAction() + "' must be an upper-case name such as ROLLBACK");
        }
      }
    } else if (r.getThreshold() instanceof ControlBaseline baseline) {
      if (!ControlHistory.STATISTICS.contains(baseline.getFromControl())) {
        problems.add(where + ".threshold.from_control must be one of " + ControlHistory.STATISTICS + ", got '" + baseline.getFromControl() + "'");
      }
      if (baseline.getWindows() < 3 || baseline.getWindows() > 1000) {
        problems.add(where + ".threshold.windows must be between 3 and 1000, got " + baseline.getWindows());
      }
      if (!r.getSeverities().isEmpty()) {
        problems.add(where + ".severities need a numeric threshold to be harsher than; use a number or drop the ladder");
      }
    }
    if (Guardrail.SCOPE_NON_INFERIORITY.equals(r.getScope())) {
      if (r.getMargin() == null || !(r.getMargin() > 0)) {
        problems.add(where + ".margin must be a positive number for a non_inferiority rule (e.g. 0.005 for half a point)");
      }
      if (r.getAlpha() != null && !(r.getAlpha() > 0 && r.getAlpha() < 0.5)) {
        problems.add(where + ".alpha must be in (0, 0.5), got " + r.getAlpha());
      }
      if (!Metrics.RATES.contains(r.getMetric())) {
        problems.add(where + ".metric '" + r.getMetric() + "' is not a rate; non_inferiority works on " + new java.util.TreeSet<>(Metrics.RATES));
      }
      if (!r.getSeverities().isEmpty()) {
        problems.add(where + ".severities are not supported for non_inferiority rules");
      }
    }
    if (r.getMinSamples() < 0) {
      problems.add(where + ".min_samples must be 0 or more, got " + r.getMinSamples());
    }
    if (r.getConsecutiveWindows() < 1) {
      problems.add(where + ".consecutive_windows must be 1 or more, got " + r.getConsecutiveWindows());
    }
    if (r.getRecoveryWindows() < 1) {
      problems.add(where + ".recovery_windows must be 1 or more, got " + r.getRecoveryWindows());
    }
    if (!ACTION.matcher(r.getAction()).matches()) {
      problems.add(where + ".action '" + r.getAction() + "' must be an upper-case name such as PAUSE_EXPOSURE or ROLLBACK");
    }
    if (r.getSegments().isEmpty()) {
      problems.add(where + ".segments must name at least one segment (* for the rollup)");
    }
    for (String segment : r.getSegments()) {
      if (segment.equals(Segments.ROLLUP)) {
        continue;
      }
      int eq = segment.indexOf('=');
      String attribute = eq < 0 ? segment : segment.substring(0, eq);
      if (eq < 0 || eq == segment.length() - 1 || !attributes.contains(attribute)) {
        problems.add(where + ".segments: '" + segment + "' must be *, or attribute=* or attribute=value with an attribute from segments "
            + attributes);
      }
    }
  }
}
