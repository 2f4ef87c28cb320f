package dev.arbiter.core;

/**
 * Bounds beyond which a field is not a measurement but a bug. Generous on purpose: they catch
 * impossible values (negative latency, a day-long turn, a billion tokens), not slow ones.
 */
public final class Plausibility {
  /** Longest id (experiment, variant, unit, request) accepted. */
  public static final int MAX_ID_LENGTH = 256;
  /** Longest segment attribute name or value. */
  public static final int MAX_SEGMENT_LENGTH = 128;
  public static final int MAX_SEGMENT_ATTRIBUTES = 32;
  /** One turn taking longer than an hour is a logging bug, not latency. */
  public static final double MAX_LATENCY_MS = 3_600_000;
  /** Tokens of one turn; above every context window that exists. */
  public static final int MAX_TOKENS = 10_000_000;
  /** Cost of one turn in US dollars. */
  public static final double MAX_COST_USD = 1_000;

  private Plausibility() {}
}
