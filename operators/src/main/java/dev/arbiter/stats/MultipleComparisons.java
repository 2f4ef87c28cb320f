package dev.arbiter.stats;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Adjusted p-values for several metrics or segments read at once, returned in input order: the
 * Benjamini-Hochberg step-up (false discovery rate) and Bonferroni (family-wise error), as R's
 * p.adjust("BH") and p.adjust("bonferroni").
 */
public final class MultipleComparisons {

  private MultipleComparisons() {}

  /** Benjamini-Hochberg: min over j >= rank of p_(j) * m / j, capped at 1. */
  public static double[] benjaminiHochberg(double[] pValues) {
    check(pValues);
    int m = pValues.length;
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> pValues[i]));
    double[] adjusted = new double[m];
    double running = 1;
    for (int rank = m; rank >= 1; rank--) {
      int i = order[rank - 1];
      running = Math.min(running, pValues[i] * m / rank);
      adjusted[i] = running;
    }
    return adjusted;
  }

  /** Bonferroni: p * m, capped at 1. */
  public static double[] bonferroni(double[] pValues) {
    check(pValues);
    double[] adjusted = new double[pValues.length];
    for (int i = 0; i < pValues.length; i++) {
      adjusted[i] = Math.min(1, pValues[i] * pValues.length);
    }
    return adjusted;
  }

  private static void check(double[] pValues) {
    if (pValues == null) {
      throw new IllegalArgumentException("p-values are required");
    }
    for (double p : pValues) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("p-values must be in [0, 1], got " + p);
      }
    }
  }
}
