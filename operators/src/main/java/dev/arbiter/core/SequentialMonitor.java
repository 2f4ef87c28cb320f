package dev.arbiter.core;

import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.stats.Comparison;
import dev.arbiter.stats.GroupSequentialDesign;
import dev.arbiter.stats.RatioMetricTest;
import dev.arbiter.stats.RatioSample;
import dev.arbiter.stats.Spending;
import dev.arbiter.stats.TwoProportionTest;
import dev.arbiter.stats.WelchTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sequential monitor of a binary primary metric: cumulative units with an outcome and
 * successes per variant, and looks taken at window closes, in order and once each, when the
 * smaller arm reaches a registered information fraction of {@code planned_units_per_arm}. A look's
 * boundary is the registered design's, recomputed by its spending function at the fraction
 * actually reached (windows rarely close exactly on plan), so the total alpha stays as registered.
 * Only a crossed boundary stops; an ordinary p-value never does. A Flink POJO kept in keyed state.
 */
public class SequentialMonitor {

  /** What a look concluded. */
  public enum Outcome { CONTINUE, STOP_EFFICACY, STOP_HARM, STOP_FUTILITY, STOP_NO_EFFECT, EFFICACY_BLOCKED_BY_SRM }

  /** Metrics for which a lower value is the better one. */
  static final Set<String> LOWER_IS_BETTER = Set.of(Metrics.HANDOFF_RATE, Metrics.ERROR_RATE, Metrics.EMPTY_RESPONSE_RATE,
      Metrics.ASSIGNMENT_MISMATCH_RATE, Metrics.COST_PER_UNIT_USD, Metrics.COST_PER_TURN_USD);

  /** One look at one treatment against the control. */
  public record Look(int index, String variant, double plannedFraction, double fraction, double criticalZ, double cumulativeAlpha,
      Comparison comparison, long controlUnits, long controlSuccesses, long treatmentUnits, long treatmentSuccesses, Outcome outcome) {}

  /** Units with an outcome (rate metrics) or with final values (unit-level metrics), per variant in registered order. */
  public long[] units = new long[0];
  public long[] successes = new long[0];
  /** Unit-level metrics: per variant, six sums (units, x, x^2, y, y^2, x*y), flattened. */
  public double[] moments = new double[0];
  /** Actual fractions of the looks taken so far. */
  public double[] takenFractions = new double[0];
  public boolean stopped;

  public SequentialMonitor() {}

  /**
   * Adds one window's counts and takes the look it reaches, if any.
   *
   * @param variants variant ids in registered order
   * @param srmHalted a sample ratio mismatch was found: no winner may be shipped
   */
  public List<Look> advance(PrimaryMetricDesign design, List<String> variants, String control,
      long[] windowUnits, long[] windowSuccesses, boolean srmHalted) {
    size(variants.size());
    for (int i = 0; i < units.length; i++) {
      units[i] += windowUnits[i];
      successes[i] += windowSuccesses[i];
    }
    return take(design, variants, control, srmHalted,
        (c, t) -> TwoProportionTest.of(units[c], successes[c], units[t], successes[t]));
  }

  /**
   * Adds one window's unit-level sums (see WindowSummary.unit_moments) for a continuous metric
   * (Welch's t on the units' values) or a ratio metric (delta method on numerator and denominator
   * sums), and takes the look they reach, if any. Each unit counts once, whatever its turns.
   */
  public List<Look> advanceUnitValues(PrimaryMetricDesign design, List<String> variants, String control,
      double[][] windowMoments, boolean srmHalted) {
    size(variants.size());
    for (int i = 0; i < units.length; i++) {
      for (int k = 0; k < 6; k++) {
        moments[i * 6 + k] += windowMoments[i][k];
      }
      units[i] = Math.round(moments[i * 6]);
    }
    boolean ratio = Metrics.RATIOS.contains(design.getMetric());
    return take(design, variants, control, srmHalted, (c, t) -> ratio
        ? RatioMetricTest.of(ratioSample(c), ratioSample(t))
        : WelchTest.of(units[c], mean(c), variance(c), units[t], mean(t), variance(t)));
  }

  private double mean(int arm) {
    return moments[arm * 6 + 1] / moments[arm * 6];
  }

  private double variance(int arm) {
    double n = moments[arm * 6];
    return Math.max(0, (moments[arm * 6 + 2] - n * mean(arm) * mean(arm)) / (n - 1));
  }

  private RatioSample ratioSample(int arm) {
    int o = arm * 6;
    return new RatioSample(units[arm], moments[o + 1], moments[o + 3], moments[o + 2], moments[o + 4], moments[o + 5]);
  }

  private void size(int arms) {
    if (units.length != arms) {
      units = new long[arms];
      successes = new long[arms];
      moments = new double[arms * 6];
    }
  }

  private List<Look> take(PrimaryMetricDesign design, List<String> variants, String control, boolean srmHalted,
      java.util.function.BiFunction<Integer, Integer, Comparison> compare) {
    if (stopped || Arrays.stream(units).min().orElse(0) < 2) {
      return List.of();
    }
    long smallest = Arrays.stream(units).min().orElse(0);
    double fraction = smallest / (double) design.getPlannedUnitsPerArm();
    double next = nextLookFraction(design);
    if (Double.isNaN(next) || fraction < next) {
      // Most windows reach no look; this answers without the design, which thousands of experiments
      // with their own taken fractions would otherwise evict from the cache and recompute per window.
      return List.of();
    }
    int comparisons = variants.size() - 1;
    GroupSequentialDesign current = current(design, comparisons);
    int index = takenFractions.length;
    if (index >= current.looks() || fraction < current.fractions()[index]) {
      return List.of();
    }
    double planned = current.fractions()[index];
    if (!current.spending().isClassic()) {
      current = current.recomputeAt(index, fraction);
    }
    takenFractions = Arrays.copyOf(takenFractions, index + 1);
    takenFractions[index] = fraction;
    // The design with this look taken is the one every later window asks for: computed again from the
    // registered design, it would cost one recomputation per look taken so far.
    DESIGNS.put(designKey(design, comparisons), current);
    boolean last = index == current.looks() - 1 || fraction >= 1;
    double critical = current.criticalZ()[index];
    double cumulativeAlpha = current.cumulativeAlpha()[index];
    boolean lowerIsBetter = LOWER_IS_BETTER.contains(design.getMetric());
    Double futility = futilityAt(design, planned);
    int c = variants.indexOf(control);
    List<Look> looks = new ArrayList<>();
    for (int t = 0; t < variants.size(); t++) {
      if (t == c) {
        continue;
      }
      Comparison comparison = compare.apply(c, t);
      double z = lowerIsBetter ? -comparison.statistic() : comparison.statistic();
      Outcome outcome;
      if (z >= critical) {
        outcome = srmHalted ? Outcome.EFFICACY_BLOCKED_BY_SRM : Outcome.STOP_EFFICACY;
      } else if (design.getSides() == 2 && z <= -critical) {
        outcome = Outcome.STOP_HARM;
      } else if (!last && futility != null && z < futility) {
        outcome = Outcome.STOP_FUTILITY;
      } else {
        outcome = last ? Outcome.STOP_NO_EFFECT : Outcome.CONTINUE;
      }
      looks.add(new Look(index + 1, variants.get(t), planned, fraction, critical, cumulativeAlpha, comparison,
          units[c], successes[c], units[t], successes[t], outcome));
      if (outcome != Outcome.CONTINUE && outcome != Outcome.EFFICACY_BLOCKED_BY_SRM) {
        stopped = true;
      }
    }
    return looks;
  }

  /**
   * The fraction the next look waits for, as {@code current(design).fractions()[takenFractions.length]}
   * has it, NaN when no look is left: a classic design keeps its registered looks; a spending design
   * recomputed at the looks taken plans the registered looks above the last fraction taken, none
   * once a look reached fraction 1. Registered fractions rise within (0, 1]; the last one counts as
   * exactly 1, as the design takes it (it accepts 1 give or take 1e-9).
   */
  double nextLookFraction(PrimaryMetricDesign design) {
    List<dev.arbiter.avro.LookSpec> looks = design.getLooks();
    int index = takenFractions.length;
    if (Spending.parse(design.getSpending()).isClassic()) {
      return index < looks.size() ? registeredFraction(looks, index) : Double.NaN;
    }
    double last = index == 0 ? 0 : takenFractions[index - 1];
    if (last >= 1) {
      return Double.NaN;
    }
    for (int k = 0; k < looks.size(); k++) {
      if (registeredFraction(looks, k) > last) {
        return registeredFraction(looks, k);
      }
    }
    return Double.NaN;
  }

  private static double registeredFraction(List<dev.arbiter.avro.LookSpec> looks, int k) {
    return k == looks.size() - 1 ? 1.0 : looks.get(k).getFraction();
  }

  /** The registered futility boundary of the planned look at this fraction, if any. */
  private static Double futilityAt(PrimaryMetricDesign design, double plannedFraction) {
    for (dev.arbiter.avro.LookSpec look : design.getLooks()) {
      if (Math.abs(look.getFraction() - plannedFraction) < 1e-9) {
        return look.getFutilityZ();
      }
    }
    return null;
  }

  /**
   * Designs by (spending, alpha, sides, registered fractions, fractions taken): computing one
   * integrates the boundary crossing numerically (milliseconds), and every window close of every
   * experiment asks for it. The designs are immutable, so sharing them changes no result.
   */
  private static final Map<List<Object>, GroupSequentialDesign> DESIGNS = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Object>, GroupSequentialDesign> eldest) {
          return size() > 4096;
        }
      });

  /** The registered design with the looks already taken at their actual fractions. */
  GroupSequentialDesign current(PrimaryMetricDesign design, int comparisons) {
    List<Object> key = designKey(design, comparisons);
    GroupSequentialDesign cached = DESIGNS.get(key);
    if (cached == null) {
      cached = computeCurrent(design, comparisons);
      DESIGNS.put(key, cached);
    }
    return cached;
  }

  private List<Object> designKey(PrimaryMetricDesign design, int comparisons) {
    return List.of(design.getSpending(), design.getAlpha(), comparisons, design.getSides(),
        design.getLooks().stream().map(dev.arbiter.avro.LookSpec::getFraction).toList(),
        Arrays.stream(takenFractions).boxed().toList());
  }

  private GroupSequentialDesign computeCurrent(PrimaryMetricDesign design, int comparisons) {
    double[] fractions = design.getLooks().stream().mapToDouble(dev.arbiter.avro.LookSpec::getFraction).toArray();
    // More than one treatment: each comparison gets its Bonferroni share of the registered alpha.
    GroupSequentialDesign current = GroupSequentialDesign.of(design.getSpending(), design.getAlpha() / Math.max(1, comparisons),
        design.getSides(), fractions);
    // Classic constant designs have no spending function to follow: their registered boundaries stand.
    for (int k = 0; k < takenFractions.length && !current.spending().isClassic(); k++) {
      current = current.recomputeAt(k, takenFractions[k]);
    }
    return current;
  }
}
