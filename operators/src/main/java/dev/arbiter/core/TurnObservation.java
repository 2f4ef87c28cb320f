package dev.arbiter.core;

/**
 * One admitted turn as one window sees it: the window key (experiment, variant, segment), the
 * definition's windowing, and the turn's measurements. A turn yields one observation for the
 * {@code *} rollup and one for each watched segment attribute. A Flink POJO: public fields and a
 * no-argument constructor, so Flink serializes it without Kryo.
 */
public class TurnObservation {
  /** experiment, variant and segment joined by {@link #KEY_SEPARATOR}: the window operator's key. */
  public String windowKey;
  public String experimentId;
  public String variantId;
  public String segment;
  public int definitionVersion;
  public long windowMs;
  public long allowedLatenessMs;

  public long eventTime;
  public long unitHash;
  public String requestId;
  public double latencyMs;
  /** NaN when the turn was not streamed. */
  public double ttftMs = Double.NaN;
  /** NaN when unknown. */
  public double tpotMs = Double.NaN;
  public double costUsd;
  public int promptTokens;
  public int completionTokens;
  public boolean error;
  public boolean emptyResponse;
  public boolean unsafe;
  /** {@link #WARM}, {@link #COLD} or {@link #UNKNOWN_CACHE}. */
  public byte cacheState = UNKNOWN_CACHE;
  /** -1, 0 or +1; {@link #NO_FEEDBACK} when the user gave none. */
  public int userFeedback = NO_FEEDBACK;

  /** Where the turn came from, so a late turn's dead letter can point at it. */
  public String sourceTopic;
  public int sourcePartition = -1;
  public long sourceOffset = -1;

  public static final char KEY_SEPARATOR = '\u001f';
  public static final byte UNKNOWN_CACHE = 0;
  public static final byte WARM = 1;
  public static final byte COLD = 2;
  public static final int NO_FEEDBACK = Integer.MIN_VALUE;

  public TurnObservation() {}

  public static String windowKey(String experimentId, String variantId, String segment) {
    return experimentId + KEY_SEPARATOR + variantId + KEY_SEPARATOR + segment;
  }

  public long windowStart() {
    return WindowBounds.startOf(eventTime, windowMs);
  }
}
