package dev.arbiter.core;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.stats.GroupSequentialDesign;
import java.util.ArrayList;
import java.util.List;

/**
 * Registration of a definition: validation, and the registered boundaries of its sequential design.
 * Boundaries are registered, not invented later: a definition without critical z values gets the
 * ones its spending function gives, recorded in the accepted definition so that every decision
 * cites the boundary it used; one whose values disagree with its spending function and alpha by
 * more than {@link #Z_TOLERANCE} is rejected.
 */
public final class Registration {
  public static final double Z_TOLERANCE = 1e-3;

  /** The accepted definition (boundaries filled in), or the problems that reject it. */
  public record Result(ExperimentDefinition accepted, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private Registration() {}

  public static Result register(ExperimentDefinition definition) {
    List<String> problems = new ArrayList<>(DefinitionValidator.problems(definition));
    PrimaryMetricDesign primary = definition.getPrimary();
    if (!problems.isEmpty() || primary == null) {
      return new Result(problems.isEmpty() ? definition : null, problems);
    }
    List<LookSpec> looks = primary.getLooks();
    double[] fractions = looks.stream().mapToDouble(LookSpec::getFraction).toArray();
    GroupSequentialDesign design;
    try {
      design = GroupSequentialDesign.of(primary.getSpending(), primary.getAlpha(), primary.getSides(), fractions);
    } catch (IllegalArgumentException e) {
      return new Result(null, List.of("primary: " + e.getMessage()));
    }
    double[] boundaries = design.criticalZ();
    List<LookSpec> registered = new ArrayList<>(looks.size());
    for (int i = 0; i < looks.size(); i++) {
      Double given = looks.get(i).getCriticalZ();
      if (given != null && Math.abs(given - boundaries[i]) > Z_TOLERANCE) {
        problems.add(String.format("primary.looks[%d].critical_z %.4f does not match %s spending at alpha %s (%s-sided): expected %.4f;"
                + " fix it or leave critical_z out to have it computed", i, given, primary.getSpending(), primary.getAlpha(),
            primary.getSides() == 1 ? "one" : "two", boundaries[i]));
      }
      registered.add(new LookSpec(looks.get(i).getFraction(), given != null ? given : boundaries[i], looks.get(i).getFutilityZ()));
    }
    if (!problems.isEmpty()) {
      return new Result(null, problems);
    }
    PrimaryMetricDesign filled = PrimaryMetricDesign.newBuilder(primary).setLooks(registered).build();
    return new Result(ExperimentDefinition.newBuilder(definition).setPrimary(filled).build(), List.of());
  }
}
