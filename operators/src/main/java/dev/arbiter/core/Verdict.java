package dev.arbiter.core;

/**
 * What one rule concluded about one window of one (variant, segment).
 *
 * @param observed the value compared with the threshold; null when inconclusive for lack of data
 * @param reason why a window is inconclusive (for the summary and for audits); null otherwise
 */
public record Verdict(Kind kind, Double observed, double threshold, long samples, String reason) {

  public enum Kind {
    /** The value is past the threshold with enough samples. */
    BREACH,
    /** The value is within the threshold with enough samples. */
    CLEAN,
    /** Too few samples or no data: neither breaks nor extends a streak. */
    INCONCLUSIVE
  }

  public static Verdict inconclusive(double threshold, long samples, String reason) {
    return new Verdict(Kind.INCONCLUSIVE, null, threshold, samples, reason);
  }
}
