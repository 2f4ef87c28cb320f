package dev.arbiter.core;

import org.apache.commons.math3.stat.inference.ChiSquareTest;

/**
 * Simpson's-paradox guard at a sequential look: the pooled effect misleads when the segment mix
 * differs between arms (chi-square test of independence on units per segment value) or when every
 * segment's effect points the other way from the pooled one.
 */
public final class SimpsonGuard {
  /** Below this p-value the segment mix is taken to differ between arms. */
  public static final double MIX_ALPHA = 0.001;

  /** The guard's reading of one segment attribute. */
  public record Reading(double mixPValue, String warning) {}

  private SimpsonGuard() {}

  /**
   * @param units units per segment value (rows) and arm (columns: control, treatment)
   * @param segmentEffects treatment minus control per segment value
   */
  public static Reading check(String attribute, long[][] units, double[] segmentEffects, double pooledEffect) {
    double mixP = Double.NaN;
    if (units.length >= 2 && allPositive(units)) {
      mixP = new ChiSquareTest().chiSquareTest(units);
    }
    if (mixP < MIX_ALPHA) {
      return new Reading(mixP, "the " + attribute + " mix differs between arms (chi-square p = " + mixP + ")");
    }
    if (segmentEffects.length >= 2 && pooledEffect != 0) {
      boolean allDisagree = true;
      for (double effect : segmentEffects) {
        if (Math.signum(effect) == Math.signum(pooledEffect) || effect == 0) {
          allDisagree = false;
          break;
        }
      }
      if (allDisagree) {
        return new Reading(mixP, "every " + attribute + " segment's effect points against the pooled effect");
      }
    }
    return new Reading(mixP, null);
  }

  private static boolean allPositive(long[][] table) {
    for (long[] row : table) {
      for (long cell : row) {
        if (cell <= 0) {
          return false;
        }
      }
    }
    return true;
  }
}
