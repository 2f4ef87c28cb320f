package dev.arbiter.core;

import dev.arbiter.avro.ControlBaseline;
import java.util.Arrays;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * The control's most recent complete window values of one (rule, segment), from which a rule
 * derives its threshold ({@code {"from_control": "p99", "windows": 30}}). A Flink POJO in keyed state.
 */
public class ControlHistory {
  /** Ring buffer of the latest values; {@link #count} of them are valid. */
  public double[] values = new double[0];
  public int count;
  public int next;

  public ControlHistory() {}

  public void add(double value, int capacity) {
    if (values.length != capacity) {
      double[] resized = new double[capacity];
      double[] latest = latest();
      int keep = Math.min(latest.length, capacity);
      System.arraycopy(latest, latest.length - keep, resized, 0, keep);
      values = resized;
      count = keep;
      next = keep % capacity;
    }
    values[next] = value;
    next = (next + 1) % capacity;
    count = Math.min(count + 1, capacity);
  }

  /** The valid values, oldest first. */
  public double[] latest() {
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = values[(next - count + i + values.length * 2) % Math.max(1, values.length)];
    }
    return out;
  }

  /** The derived threshold, or NaN until the history holds the windows the baseline asks for. */
  public double threshold(ControlBaseline baseline) {
    if (count < baseline.getWindows()) {
      return Double.NaN;
    }
    double[] window = latest();
    String statistic = baseline.getFromControl();
    return switch (statistic) {
      case "max" -> Arrays.stream(window).max().orElse(Double.NaN);
      case "min" -> Arrays.stream(window).min().orElse(Double.NaN);
      case "mean" -> Arrays.stream(window).average().orElse(Double.NaN);
      default -> new Percentile().evaluate(window, percentile(statistic));
    };
  }

  /** Statistics a baseline may name. */
  public static final java.util.List<String> STATISTICS = java.util.List.of("p50", "p90", "p95", "p99", "max", "min", "mean");

  private static double percentile(String statistic) {
    return Double.parseDouble(statistic.substring(1));
  }
}
