package dev.arbiter.stats;

import java.util.Locale;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * Where a group-sequential design's boundaries come from: a Lan-DeMets alpha-spending function
 * (O'Brien-Fleming type, Pocock type, Hwang-Shih-DeCani with a gamma), or one of the classic
 * fixed-constant designs (O'Brien-Fleming, Pocock) that spend no prescribed function but use one
 * constant scaled by the look's information.
 *
 * <p>Spending is per side, as gsDesign and rpact do: a two-sided design at alpha 0.05 spends
 * 0.025 on each side with the one-sided function. For the Pocock and Hwang-Shih-DeCani functions,
 * which are linear in alpha, that equals spending the total; for the O'Brien-Fleming type it does
 * not, and the per-side convention is the one that gives the published 4.3326, 2.9631, 2.3590,
 * 2.0141 for four equal looks.
 */
public final class Spending {

  /** The kinds of boundary a design can have. */
  public enum Kind {
    OBRIEN_FLEMING, POCOCK, HWANG_SHIH_DECANI, CLASSIC_OBRIEN_FLEMING, CLASSIC_POCOCK
  }

  /** The accepted spellings, for error messages. */
  public static final String ALLOWED =
      "obrien_fleming, pocock, hsd:<gamma> (gamma in [-40, 40]), classic-obf or classic-pocock";

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private final Kind kind;
  private final double gamma;

  private Spending(Kind kind, double gamma) {
    this.kind = kind;
    this.gamma = gamma;
  }

  public static Spending obrienFleming() {
    return new Spending(Kind.OBRIEN_FLEMING, Double.NaN);
  }

  public static Spending pocock() {
    return new Spending(Kind.POCOCK, Double.NaN);
  }

  public static Spending hwangShihDeCani(double gamma) {
    if (!(gamma >= -40 && gamma <= 40)) {
      throw new IllegalArgumentException("spending hsd gamma must be in [-40, 40], got " + gamma);
    }
    return new Spending(Kind.HWANG_SHIH_DECANI, gamma);
  }

  /**
   * Parses obrien_fleming / obrien-fleming / obf, pocock, hsd:&lt;gamma&gt;, classic-obf /
   * classic_obf, classic-pocock / classic_pocock (case-insensitive).
   *
   * @throws IllegalArgumentException naming the argument and the allowed values
   */
  public static Spending parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("spending must be one of " + ALLOWED + ", got nothing");
    }
    String s = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    switch (s) {
      case "obrien-fleming":
      case "o'brien-fleming":
      case "obf":
        return obrienFleming();
      case "pocock":
        return pocock();
      case "classic-obf":
      case "classic-obrien-fleming":
        return new Spending(Kind.CLASSIC_OBRIEN_FLEMING, Double.NaN);
      case "classic-pocock":
        return new Spending(Kind.CLASSIC_POCOCK, Double.NaN);
      default:
        break;
    }
    if (s.startsWith("hsd:")) {
      double gamma;
      try {
        gamma = Double.parseDouble(s.substring(4));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("spending must be one of " + ALLOWED + ", got '" + text + "'");
      }
      return hwangShihDeCani(gamma);
    }
    throw new IllegalArgumentException("spending must be one of " + ALLOWED + ", got '" + text + "'");
  }

  public Kind kind() {
    return kind;
  }

  /** Gamma of a Hwang-Shih-DeCani function; NaN otherwise. */
  public double gamma() {
    return gamma;
  }

  /** True for the classic constant designs, which have no spending function to recompute from. */
  public boolean isClassic() {
    return kind == Kind.CLASSIC_OBRIEN_FLEMING || kind == Kind.CLASSIC_POCOCK;
  }

  /** The canonical name, as written into a definition's {@code primary.spending}. */
  public String canonicalName() {
    switch (kind) {
      case OBRIEN_FLEMING:
        return "obrien_fleming";
      case POCOCK:
        return "pocock";
      case CLASSIC_OBRIEN_FLEMING:
        return "classic_obf";
      case CLASSIC_POCOCK:
        return "classic_pocock";
      default:
        return "hsd:" + (gamma == Math.rint(gamma) ? Long.toString((long) gamma) : Double.toString(gamma));
    }
  }

  /**
   * Cumulative alpha spent by information fraction {@code t}, summed over the design's sides.
   *
   * @param alpha total alpha of the design (two-sided total when {@code sides} is 2)
   * @throws IllegalStateException for the classic designs, which spend no prescribed function
   */
  public double cumulative(double alpha, int sides, double t) {
    if (t <= 0) {
      return 0;
    }
    if (t >= 1) {
      return alpha;
    }
    double perSide = alpha / sides;
    double spent;
    switch (kind) {
      case OBRIEN_FLEMING:
        spent = 2 * NORMAL.cumulativeProbability(-NORMAL.inverseCumulativeProbability(1 - perSide / 2) / Math.sqrt(t));
        break;
      case POCOCK:
        spent = perSide * Math.log(1 + (Math.E - 1) * t);
        break;
      case HWANG_SHIH_DECANI:
        spent = gamma == 0 ? perSide * t : perSide * (1 - Math.exp(-gamma * t)) / (1 - Math.exp(-gamma));
        break;
      default:
        throw new IllegalStateException(canonicalName() + " has no spending function");
    }
    return sides * spent;
  }

  @Override
  public String toString() {
    return canonicalName();
  }
}
