package dev.arbiter.stats;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.solvers.BrentSolver;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * A group-sequential design: the registered looks (information fractions) and the critical |z|
 * of each, from a Lan-DeMets alpha-spending function or a classic constant design, for a one- or
 * two-sided test of a standardized statistic. Immutable.
 *
 * <p>Boundaries come from the recursive numerical integration of Armitage, McPherson and Rowe as
 * laid out in Jennison and Turnbull (2000), chapter 19 (see {@link SequentialWalk}). For a
 * spending design, the boundary of look k makes the probability under H0 of first crossing at
 * look k equal the alpha the function allots to (t_{k-1}, t_k]; the last look spends whatever is
 * left of alpha. Two-sided designs are symmetric: stop when |Z_k| >= c_k. One-sided designs stop
 * when Z_k >= c_k and have no lower boundary.
 */
public final class GroupSequentialDesign {

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);
  /** Beyond this |z| a tail probability underflows; a look whose spend is smaller never rejects. */
  private static final double MAX_Z = 37.5;

  private final Spending spending;
  private final double alpha;
  private final int sides;
  private final double[] fractions;
  private final double[] criticalZ;
  private final double[] cumulativeAlpha;

  private GroupSequentialDesign(Spending spending, double alpha, int sides, double[] fractions,
      double[] criticalZ, double[] cumulativeAlpha) {
    this.spending = spending;
    this.alpha = alpha;
    this.sides = sides;
    this.fractions = fractions;
    this.criticalZ = criticalZ;
    this.cumulativeAlpha = cumulativeAlpha;
  }

  /**
   * Computes a design.
   *
   * @param spending see {@link Spending#parse}: obrien_fleming (or obrien-fleming), pocock,
   *     hsd:&lt;gamma&gt;, classic-obf, classic-pocock
   * @param alpha total type I error: both sides together when {@code sides} is 2
   * @param sides 1 (upper boundary only) or 2 (symmetric)
   * @param fractions information fractions of the looks, strictly increasing in (0, 1], the last 1
   * @throws IllegalArgumentException naming the bad argument and its allowed range
   */
  public static GroupSequentialDesign of(String spending, double alpha, int sides, double[] fractions) {
    return of(Spending.parse(spending), alpha, sides, fractions);
  }

  /**
   * Designs already computed, by their arguments: a design integrates its boundary crossings
   * numerically (milliseconds), registries hold many definitions of the same design, and designs
   * are immutable, so sharing one changes no result.
   */
  private static final Map<List<Object>, GroupSequentialDesign> COMPUTED = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Object>, GroupSequentialDesign> eldest) {
          return size() > 1024;
        }
      });

  /** As {@link #of(String, double, int, double[])} with a parsed spending function. */
  public static GroupSequentialDesign of(Spending spending, double alpha, int sides, double[] fractions) {
    List<Object> key = List.of(spending.toString(), alpha, sides, Arrays.stream(fractions).boxed().toList());
    GroupSequentialDesign known = COMPUTED.get(key);
    if (known == null) {
      known = compute(spending, alpha, sides, fractions);
      COMPUTED.put(key, known);
    }
    return known;
  }

  private static GroupSequentialDesign compute(Spending spending, double alpha, int sides, double[] fractions) {
    checkAlphaAndSides(alpha, sides);
    checkFractions(fractions);
    double[] t = fractions.clone();
    t[t.length - 1] = 1.0;
    return spending.isClassic() ? classic(spending, alpha, sides, t) : spent(spending, alpha, sides, t, new double[0]);
  }

  /** A design with {@code looks} equally spaced looks (k / looks). */
  public static GroupSequentialDesign equallySpaced(String spending, double alpha, int sides, int looks) {
    return of(spending, alpha, sides, equalFractions(looks));
  }

  /** k / looks for k = 1..looks. */
  public static double[] equalFractions(int looks) {
    if (looks < 1 || looks > 50) {
      throw new IllegalArgumentException("looks must be in [1, 50], got " + looks);
    }
    double[] t = new double[looks];
    for (int k = 1; k <= looks; k++) {
      t[k - 1] = (double) k / looks;
    }
    return t;
  }

  /**
   * The design after look {@code lookIndex} happens at {@code observedFraction} instead of its
   * planned fraction. Looks before {@code lookIndex} keep their fractions and critical values
   * (they were taken, so the alpha they spent is spent); look {@code lookIndex} gets a boundary
   * that brings the cumulative alpha to the spending function's value at the observed fraction;
   * later planned looks whose fraction exceeds the observed one are recomputed the same way, and
   * those at or below it are dropped. A look at fraction 1 or more, or at the last planned look,
   * is the final one and spends all the alpha that is left.
   *
   * @param lookIndex zero-based index of the look being taken
   * @param observedFraction information actually reached, relative to the planned maximum; above
   *     the previous look's fraction (it may exceed 1 when the sample overruns)
   * @throws IllegalArgumentException for a classic design (no spending function to follow), an
   *     index out of range, or a fraction not above the previous look's
   */
  public GroupSequentialDesign recomputeAt(int lookIndex, double observedFraction) {
    if (spending.isClassic()) {
      throw new IllegalArgumentException("spending " + spending + " has fixed constants; recomputing an off-plan look"
          + " needs an alpha-spending function (obrien_fleming, pocock or hsd:<gamma>)");
    }
    if (lookIndex < 0 || lookIndex >= fractions.length) {
      throw new IllegalArgumentException("look index must be in [0, " + (fractions.length - 1) + "], got " + lookIndex);
    }
    double previous = lookIndex == 0 ? 0 : fractions[lookIndex - 1];
    if (!(observedFraction > previous) || Double.isInfinite(observedFraction)) {
      throw new IllegalArgumentException("observed fraction must be above the previous look's " + previous
          + ", got " + observedFraction);
    }
    double[] t = new double[fractions.length];
    int n = 0;
    for (int k = 0; k < lookIndex; k++) {
      t[n++] = fractions[k];
    }
    t[n++] = observedFraction;
    boolean last = lookIndex == fractions.length - 1 || observedFraction >= 1;
    if (!last) {
      for (int k = lookIndex + 1; k < fractions.length; k++) {
        if (fractions[k] > observedFraction) {
          t[n++] = fractions[k];
        }
      }
    }
    return spent(spending, alpha, sides, Arrays.copyOf(t, n), Arrays.copyOf(criticalZ, lookIndex));
  }

  private static GroupSequentialDesign spent(Spending spending, double alpha, int sides, double[] t, double[] taken) {
    int looks = t.length;
    double[] z = new double[looks];
    double[] cumulative = new double[looks];
    SequentialWalk walk = new SequentialWalk(t, 0);
    double spent = 0;
    for (int k = 0; k < looks; k++) {
      double c;
      if (k < taken.length) {
        c = taken[k];
      } else {
        double target = k == looks - 1 ? alpha : spending.cumulative(alpha, sides, t[k]);
        c = boundaryFor(walk, sides, target - spent);
      }
      spent += crossing(walk, sides, c);
      z[k] = c;
      cumulative[k] = spent;
      walk.advance(sides == 2 ? -c : Double.NEGATIVE_INFINITY, c);
    }
    return new GroupSequentialDesign(spending, alpha, sides, t, z, cumulative);
  }

  /** Classic designs: c_k = C (Pocock) or C / sqrt(t_k) (O'Brien-Fleming), C solved so the total is alpha. */
  private static GroupSequentialDesign classic(Spending spending, double alpha, int sides, double[] t) {
    boolean pocock = spending.kind() == Spending.Kind.CLASSIC_POCOCK;
    UnivariateFunction excess = constant -> totalCrossing(shape(pocock, constant, t), t, sides) - alpha;
    double constant = new BrentSolver(1e-13, 1e-11).solve(500, excess, 0.5, 12);
    double[] z = shape(pocock, constant, t);
    double[] cumulative = new double[t.length];
    SequentialWalk walk = new SequentialWalk(t, 0);
    double spent = 0;
    for (int k = 0; k < t.length; k++) {
      spent += crossing(walk, sides, z[k]);
      cumulative[k] = spent;
      walk.advance(sides == 2 ? -z[k] : Double.NEGATIVE_INFINITY, z[k]);
    }
    return new GroupSequentialDesign(spending, alpha, sides, t, z, cumulative);
  }

  private static double[] shape(boolean pocock, double constant, double[] t) {
    double[] z = new double[t.length];
    for (int k = 0; k < t.length; k++) {
      z[k] = pocock ? constant : constant / Math.sqrt(t[k]);
    }
    return z;
  }

  private static double totalCrossing(double[] z, double[] t, int sides) {
    SequentialWalk walk = new SequentialWalk(t, 0);
    double total = 0;
    for (double c : z) {
      total += crossing(walk, sides, c);
      walk.advance(sides == 2 ? -c : Double.NEGATIVE_INFINITY, c);
    }
    return total;
  }

  private static double crossing(SequentialWalk walk, int sides, double c) {
    return sides == 2 ? walk.upperCrossing(c) + walk.lowerCrossing(-c) : walk.upperCrossing(c);
  }

  /** The critical value whose crossing probability at the walk's current look is {@code increment}. */
  private static double boundaryFor(SequentialWalk walk, int sides, double increment) {
    if (!(increment > 0)) {
      return Double.POSITIVE_INFINITY;
    }
    double logTarget = Math.log(increment);
    // Solved on the log scale: early O'Brien-Fleming looks spend 1e-10 and less.
    UnivariateFunction f = c -> Math.log(Math.max(crossing(walk, sides, c), Double.MIN_NORMAL)) - logTarget;
    double lo = sides == 2 ? 0 : -10;
    if (f.value(MAX_Z) > 0) {
      return Double.POSITIVE_INFINITY;
    }
    if (f.value(lo) < 0) {
      return lo;
    }
    return new BrentSolver(1e-14, 1e-12).solve(1000, f, lo, MAX_Z);
  }

  /**
   * The drift theta * sqrt(I_max) at which the design rejects H0 in the direction of the effect
   * (upper boundary) with probability {@code power}.
   */
  public double drift(double power) {
    checkPower(power);
    UnivariateFunction shortfall = eta -> upperRejection(eta) - power;
    return new BrentSolver(1e-14, 1e-12).solve(1000, shortfall, 0, 40);
  }

  /** Probability of crossing the upper boundary at some look when the drift is {@code eta}. */
  public double upperRejection(double eta) {
    SequentialWalk walk = new SequentialWalk(fractions, eta);
    double total = 0;
    for (double c : criticalZ) {
      total += walk.upperCrossing(c);
      walk.advance(sides == 2 ? -c : Double.NEGATIVE_INFINITY, c);
    }
    return total;
  }

  /**
   * Maximum information of this design relative to a fixed-sample test with the same alpha,
   * sides and power: (drift / (z_{1-alpha/sides} + z_power))^2. Exactly 1 for a single look at
   * fraction 1.
   */
  public double inflationFactor(double power) {
    checkPower(power);
    if (fractions.length == 1 && fractions[0] == 1.0) {
      return 1.0;
    }
    double fixedDrift = NORMAL.inverseCumulativeProbability(1 - alpha / sides) + NORMAL.inverseCumulativeProbability(power);
    double ratio = drift(power) / fixedDrift;
    return ratio * ratio;
  }

  /**
   * Maximum units per arm of the sequential design: the fixed-design size (unrounded, as
   * {@link SampleSizePlan#exactPerArm()}) times the inflation factor, rounded up.
   */
  public long maxPerArm(double fixedPerArmExact, double power) {
    return SampleSize.roundUp(fixedPerArmExact * inflationFactor(power));
  }

  /** Units per arm at each look for a design whose maximum is {@code maxPerArm}, rounded up. */
  public long[] unitsPerArmAtLooks(long maxPerArm) {
    long[] units = new long[fractions.length];
    for (int k = 0; k < fractions.length; k++) {
      units[k] = SampleSize.roundUp(maxPerArm * fractions[k]);
    }
    return units;
  }

  public double[] criticalZ() {
    return criticalZ.clone();
  }

  /** Cumulative probability under H0 of stopping for efficacy by each look (both sides when two-sided). */
  public double[] cumulativeAlpha() {
    return cumulativeAlpha.clone();
  }

  /** The ordinary p-value each boundary corresponds to (two-sided when the design is). */
  public double[] nominalP() {
    double[] p = new double[criticalZ.length];
    for (int k = 0; k < p.length; k++) {
      p[k] = sides * SequentialWalk.upperTail(criticalZ[k]);
    }
    return p;
  }

  public double[] fractions() {
    return fractions.clone();
  }

  public int looks() {
    return fractions.length;
  }

  public Spending spending() {
    return spending;
  }

  public double alpha() {
    return alpha;
  }

  public int sides() {
    return sides;
  }

  private static void checkAlphaAndSides(double alpha, int sides) {
    if (sides != 1 && sides != 2) {
      throw new IllegalArgumentException("sides must be 1 or 2, got " + sides);
    }
    if (!(alpha > 0 && alpha < 0.5)) {
      throw new IllegalArgumentException("alpha must be in (0, 0.5), got " + alpha);
    }
  }

  private void checkPower(double power) {
    if (!(power > alpha / sides && power < 1)) {
      throw new IllegalArgumentException("power must be in (" + alpha / sides + ", 1), got " + power);
    }
  }

  static void checkFractions(double[] fractions) {
    String allowed = "fractions must increase strictly within (0, 1] and end at 1, got " + Arrays.toString(fractions);
    if (fractions == null || fractions.length == 0 || fractions.length > 50) {
      throw new IllegalArgumentException("fractions must hold 1 to 50 looks, got "
          + (fractions == null ? "none" : fractions.length));
    }
    double previous = 0;
    for (double t : fractions) {
      if (!(t > previous) || t > 1 + 1e-9) {
        throw new IllegalArgumentException(allowed);
      }
      previous = t;
    }
    if (Math.abs(fractions[fractions.length - 1] - 1) > 1e-9) {
      throw new IllegalArgumentException(allowed);
    }
  }

  @Override
  public String toString() {
    return "GroupSequentialDesign{" + spending + ", alpha=" + alpha + ", sides=" + sides
        + ", fractions=" + Arrays.toString(fractions) + ", criticalZ=" + Arrays.toString(criticalZ) + "}";
  }
}
