package dev.arbiter.core;

import java.util.Set;

/** Names of the windowed metrics that rules can read (WindowSummary.metrics keys). */
public final class Metrics {
  public static final String ERROR_RATE = "error_rate";
  public static final String SAFETY_PASS_RATE = "safety_pass_rate";
  public static final String EMPTY_RESPONSE_RATE = "empty_response_rate";
  public static final String LATENCY_P50_MS = "latency_p50_ms";
  public static final String LATENCY_P95_MS = "latency_p95_ms";
  public static final String LATENCY_P99_MS = "latency_p99_ms";
  public static final String TTFT_P50_MS = "ttft_p50_ms";
  public static final String TTFT_P95_MS = "ttft_p95_ms";
  public static final String TTFT_P99_MS = "ttft_p99_ms";
  public static final String TPOT_MEAN_MS = "tpot_mean_ms";
  public static final String COST_PER_TURN_USD = "cost_per_turn_usd";
  public static final String COST_PER_UNIT_USD = "cost_per_unit_usd";
  public static final String TOKENS_PER_TURN = "tokens_per_turn";
  public static final String FEEDBACK_POSITIVE_RATE = "feedback_positive_rate";
  public static final String RESOLUTION_RATE = "resolution_rate";
  public static final String HANDOFF_RATE = "handoff_rate";
  /** Share of the window's turns whose unit was seen in another variant or hashes to another one. */
  public static final String ASSIGNMENT_MISMATCH_RATE = "assignment_mismatch_rate";
  private static final String JUDGE_PREFIX = "judge_";
  private static final String JUDGE_SUFFIX = "_mean";
  /** Suffixes of latency quantiles split by replica cache state: a cold canary is slow for reasons that are not the treatment. */
  public static final String WARM = ".warm";
  public static final String COLD = ".cold";

  /** Metrics that are a share of counted events, which a non-inferiority rule can test. */
  public static final Set<String> RATES = Set.of(ERROR_RATE, SAFETY_PASS_RATE, EMPTY_RESPONSE_RATE, FEEDBACK_POSITIVE_RATE,
      RESOLUTION_RATE, HANDOFF_RATE, ASSIGNMENT_MISMATCH_RATE);

  /** Ratio metrics whose unit-level numerator and denominator a sequential test reads (delta method). */
  public static final Set<String> RATIOS = Set.of(COST_PER_TURN_USD);

  /** Whether the sequential monitor can test this primary metric, and how: rates, unit-level means, or ratios. */
  public static boolean sequentiallyTestable(String metric) {
    return RATES.contains(metric) || RATIOS.contains(metric) || COST_PER_UNIT_USD.equals(metric)
        || (isKnown(metric) && metric.startsWith(JUDGE_PREFIX));
  }

  /** Every metric a guardrail rule may name. */
  public static final Set<String> KNOWN = Set.of(
      ERROR_RATE, SAFETY_PASS_RATE, EMPTY_RESPONSE_RATE,
      LATENCY_P50_MS, LATENCY_P95_MS, LATENCY_P99_MS,
      TTFT_P50_MS, TTFT_P95_MS, TTFT_P99_MS, TPOT_MEAN_MS,
      COST_PER_TURN_USD, COST_PER_UNIT_USD, TOKENS_PER_TURN, FEEDBACK_POSITIVE_RATE,
      RESOLUTION_RATE, HANDOFF_RATE, ASSIGNMENT_MISMATCH_RATE,
      LATENCY_P50_MS + WARM, LATENCY_P95_MS + WARM, LATENCY_P99_MS + WARM,
      LATENCY_P50_MS + COLD, LATENCY_P95_MS + COLD, LATENCY_P99_MS + COLD);

  private Metrics() {}

  /** The metric of a judge axis: judge_helpfulness_mean for axis helpfulness. */
  public static String judgeMean(String axis) {
    return JUDGE_PREFIX + axis + JUDGE_SUFFIX;
  }

  /** Whether a rule may name this metric: a known one, or the mean of any judge axis. */
  public static boolean isKnown(String metric) {
    return KNOWN.contains(metric)
        || (metric.startsWith(JUDGE_PREFIX) && metric.endsWith(JUDGE_SUFFIX) && metric.length() > JUDGE_PREFIX.length() + JUDGE_SUFFIX.length());
  }

  /**
   * Samples behind a metric in a window: the summary's own count for metrics that do not count
   * turns (units for per-unit ratios, the cache state's turns for split latencies), else turns.
   */
  public static long samples(String metric, dev.arbiter.avro.WindowSummary window) {
    Long own = window.getSamples().get(metric);
    return own != null ? own : window.getTurns();
  }
}
