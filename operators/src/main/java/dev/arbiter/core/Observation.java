package dev.arbiter.core;

/**
 * One admitted event as the windows see it: a turn, the outcome of a unit, or a judge score,
 * with the definition's windowing and, once the unit tracker has placed it, the window key
 * (experiment, variant, segment). A turn yields one observation for the {@code *} rollup and one
 * for each watched segment attribute. A Flink POJO: public fields and a no-argument constructor
 * (arrays rather than collections), so Flink serializes it without Kryo.
 */
public class Observation {
  public static final byte TURN = 0;
  public static final byte OUTCOME = 1;
  public static final byte JUDGE = 2;
  /** The final values of one unit, emitted once after its outcome and the judge wait. */
  public static final byte UNIT = 3;
  /** Several turns of one window, combined before the shuffle: {@link #partialStats} holds their WindowStats. */
  public static final byte PARTIAL = 4;
  /**
   * Takes back the new-unit count of this window: the unit's first turn by event time was
   * processed after a later one, and the count moved to the first turn's window (see the unit tracker).
   */
  public static final byte FIRST_TURN_MOVED = 5;

  public static final char KEY_SEPARATOR = '\u001f';
  public static final byte UNKNOWN_CACHE = 0;
  public static final byte WARM = 1;
  public static final byte COLD = 2;
  public static final int NO_FEEDBACK = Integer.MIN_VALUE;

  public byte kind = TURN;
  /** experiment, variant and segment joined by {@link #KEY_SEPARATOR}: the window operator's key. */
  public String windowKey;
  public String experimentId;
  public String variantId;
  public String segment;
  public String unitId;
  /** Segment labels of a turn ({@code *} first), set before the unit tracker expands it. */
  public String[] segments;
  public int definitionVersion;
  public long windowMs;
  public long allowedLatenessMs;

  public long eventTime;
  public long unitHash;
  public String requestId;

  // turn measurements
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
  /** The deterministic assignment of the unit disagrees with the logged variant. */
  public boolean assignmentMismatch;
  /** The unit was seen earlier in another variant. */
  public boolean leaked;
  /** This is the unit's first turn: its exposure, counted by the sample-ratio check. */
  public boolean newUnit;

  // outcome
  public boolean resolved;
  public boolean humanHandoff;

  // unit values (kind UNIT): total cost and turns of the unit; judgeScores then hold its per-axis means
  public double unitCost;
  public long unitTurns;

  // judge score
  public String[] judgeAxes;
  public double[] judgeScores;

  /** Kind PARTIAL: a serialized {@link WindowStats} of turns of this window (see WindowStats#writeTo). */
  public byte[] partialStats;

  /** Where the event came from, so a late event's dead letter can point at it. */
  public String sourceTopic;
  public int sourcePartition = -1;
  public long sourceOffset = -1;

  public Observation() {}

  public static String windowKey(String experimentId, String variantId, String segment) {
    return experimentId + KEY_SEPARATOR + variantId + KEY_SEPARATOR + segment;
  }

  /** The unit tracker's key. */
  public static String unitKey(String experimentId, String unitId) {
    return experimentId + KEY_SEPARATOR + unitId;
  }

  public long windowStart() {
    return WindowBounds.startOf(eventTime, windowMs);
  }

  /** A copy placed in one window: variant and segment fixed, the unit-level fields dropped. */
  public Observation placed(String variant, String segmentLabel) {
    Observation o = new Observation();
    o.kind = kind;
    o.experimentId = experimentId;
    o.variantId = variant;
    o.segment = segmentLabel;
    o.windowKey = windowKey(experimentId, variant, segmentLabel);
    o.definitionVersion = definitionVersion;
    o.windowMs = windowMs;
    o.allowedLatenessMs = allowedLatenessMs;
    o.eventTime = eventTime;
    o.unitHash = unitHash;
    o.requestId = requestId;
    o.latencyMs = latencyMs;
    o.ttftMs = ttftMs;
    o.tpotMs = tpotMs;
    o.costUsd = costUsd;
    o.promptTokens = promptTokens;
    o.completionTokens = completionTokens;
    o.error = error;
    o.emptyResponse = emptyResponse;
    o.unsafe = unsafe;
    o.cacheState = cacheState;
    o.userFeedback = userFeedback;
    o.assignmentMismatch = assignmentMismatch;
    o.leaked = leaked;
    o.newUnit = newUnit;
    o.resolved = resolved;
    o.humanHandoff = humanHandoff;
    o.unitCost = unitCost;
    o.unitTurns = unitTurns;
    o.judgeAxes = judgeAxes;
    o.judgeScores = judgeScores;
    o.sourceTopic = sourceTopic;
    o.sourcePartition = sourcePartition;
    o.sourceOffset = sourceOffset;
    return o;
  }
}
