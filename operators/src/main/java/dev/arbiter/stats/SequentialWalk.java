package dev.arbiter.stats;

import java.util.Arrays;
import org.apache.commons.numbers.gamma.Erfc;

/**
 * The recursive numerical integration of Armitage, McPherson and Rowe (1969) in the form of
 * Jennison and Turnbull (2000, ch. 19): the sub-density of Z_k on the continuation region,
 * carried from look to look on a grid with Simpson weights, for a standardized statistic whose
 * score S_k = Z_k sqrt(t_k) has independent normal increments with mean drift * (t_k - t_{k-1})
 * and variance t_k - t_{k-1} (information scaled so the planned maximum is 1).
 *
 * <p>Use: at each look ask the crossing probabilities for a candidate boundary, fix the
 * boundary, then {@link #advance} to carry the density past it.
 */
final class SequentialWalk {

  /**
   * Jennison and Turnbull's grid parameter r: 6r - 1 points per look before trimming. Their
   * r = 16 gives about 1e-6 on boundaries; 48 buys margin at negligible cost.
   */
  static final int GRID_R = 48;

  private static final double SQRT_2PI = Math.sqrt(2 * Math.PI);
  private static final double SQRT2 = Math.sqrt(2);

  private final double[] fractions;
  private final double drift;
  private int look;
  private double[] z = new double[0];
  private double[] weightedDensity = new double[0];

  SequentialWalk(double[] fractions, double drift) {
    this.fractions = fractions.clone();
    this.drift = drift;
  }

  /** Index of the next look, whose boundary is being sought. */
  int look() {
    return look;
  }

  /** P(continue through every earlier look and Z_look >= upper). */
  double upperCrossing(double upper) {
    if (upper == Double.POSITIVE_INFINITY) {
      return 0;
    }
    double tk = fractions[look];
    if (look == 0) {
      return upperTail(upper - drift * Math.sqrt(tk));
    }
    double tPrev = fractions[look - 1];
    double delta = tk - tPrev;
    double sd = Math.sqrt(delta);
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      sum += weightedDensity[i] * upperTail((upper * Math.sqrt(tk) - z[i] * Math.sqrt(tPrev) - drift * delta) / sd);
    }
    return sum;
  }

  /** P(continue through every earlier look and Z_look <= lower). */
  double lowerCrossing(double lower) {
    if (lower == Double.NEGATIVE_INFINITY) {
      return 0;
    }
    double tk = fractions[look];
    if (look == 0) {
      return upperTail(-(lower - drift * Math.sqrt(tk)));
    }
    double tPrev = fractions[look - 1];
    double delta = tk - tPrev;
    double sd = Math.sqrt(delta);
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      sum += weightedDensity[i] * upperTail(-(lower * Math.sqrt(tk) - z[i] * Math.sqrt(tPrev) - drift * delta) / sd);
    }
    return sum;
  }

  /** Fixes this look's continuation region (lower, upper) and moves to the next look. */
  void advance(double lower, double upper) {
    double tk = fractions[look];
    double mean = drift * Math.sqrt(tk);
    double[] nodes = gridNodes(mean, lower, upper);
    double[] weights = simpsonWeights(nodes);
    double[] density = new double[nodes.length];
    if (look == 0) {
      for (int j = 0; j < nodes.length; j++) {
        density[j] = phi(nodes[j] - mean);
      }
    } else {
      double tPrev = fractions[look - 1];
      double delta = tk - tPrev;
      double sd = Math.sqrt(delta);
      double scale = Math.sqrt(tk) / sd;
      double rootTk = Math.sqrt(tk);
      double rootPrev = Math.sqrt(tPrev);
      for (int j = 0; j < nodes.length; j++) {
        double s = 0;
        double target = nodes[j] * rootTk - drift * delta;
        for (int i = 0; i < z.length; i++) {
          s += weightedDensity[i] * phi((target - z[i] * rootPrev) / sd);
        }
        density[j] = s * scale;
      }
    }
    for (int j = 0; j < nodes.length; j++) {
      density[j] *= weights[j];
    }
    z = nodes;
    weightedDensity = density;
    look++;
  }

  /** Probability of having continued through every look so far. */
  double continuation() {
    return Arrays.stream(weightedDensity).sum();
  }

  /** Upper normal tail, accurate far out (erfc, not 1 - cdf). */
  static double upperTail(double x) {
    return 0.5 * Erfc.value(x / SQRT2);
  }

  private static double phi(double x) {
    return Math.exp(-0.5 * x * x) / SQRT_2PI;
  }

  /**
   * Jennison and Turnbull's grid around the look's mean: dense (spacing 3/(2r) on the z scale)
   * within 3 of the mean, logarithmically sparser out to about 3 + 4 ln r, trimmed to the
   * continuation region with its finite ends added, then midpoints inserted for Simpson's rule.
   */
  static double[] gridNodes(double mean, double lower, double upper) {
    int r = GRID_R;
    int m = 6 * r - 1;
    double[] x = new double[m];
    for (int i = 1; i <= m; i++) {
      double v;
      if (i <= r - 1) {
        v = -3 - 4 * Math.log((double) r / i);
      } else if (i <= 5 * r) {
        v = -3 + 3.0 * (i - r) / (2.0 * r);
      } else {
        v = 3 + 4 * Math.log((double) r / (6 * r - i));
      }
      x[i - 1] = mean + v;
    }
    double lo = Math.max(lower, x[0]);
    double hi = Math.min(upper, x[m - 1]);
    if (!(hi > lo)) {
      return new double[0];
    }
    double[] kept = new double[m + 2];
    int n = 0;
    kept[n++] = lo;
    for (double v : x) {
      if (v > lo && v < hi) {
        kept[n++] = v;
      }
    }
    kept[n++] = hi;
    double[] nodes = new double[2 * n - 1];
    for (int i = 0; i < n; i++) {
      nodes[2 * i] = kept[i];
      if (i + 1 < n) {
        nodes[2 * i + 1] = 0.5 * (kept[i] + kept[i + 1]);
      }
    }
    return nodes;
  }

  /** Composite Simpson weights on nodes whose odd positions are midpoints of their neighbours. */
  static double[] simpsonWeights(double[] nodes) {
    int n = nodes.length;
    double[] w = new double[n];
    if (n == 0) {
      return w;
    }
    for (int i = 0; i + 2 < n; i += 2) {
      double h = nodes[i + 2] - nodes[i];
      w[i] += h / 6;
      w[i + 1] += 4 * h / 6;
      w[i + 2] += h / 6;
    }
    return w;
  }
}
