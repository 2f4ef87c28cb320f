package dev.arbiter.core;

/** What Arbiter remembers of one randomization unit: where its first turn placed it. A Flink POJO. */
public class UnitState {
  /** Variant of the unit's first turn; outcomes and judge scores of the unit count there. */
  public String variant;
  /** Segment labels of the unit's first turn. */
  public String[] segments;
  /** Units seen in a second variant are counted once as leaks. */
  public boolean leaked;
  /** Windowing of the unit's experiment, for the observation of its final values. */
  public long windowMs;
  public long allowedLatenessMs;
  public int definitionVersion;
  /** Running totals for the unit-level values of continuous and ratio primary metrics. */
  public double cost;
  public long turns;
  public String[] judgeAxes = new String[0];
  public double[] judgeSums = new double[0];
  public long[] judgeCounts = new long[0];
  /** Event time of the unit's outcome, -1 before it; the unit's values are final a judge wait later. */
  public long endTime = -1;
  /**
   * Event time of the turn the unit was counted as new with; MIN_VALUE in state from before it was
   * kept. An earlier turn processed later takes the count to its own window.
   */
  public long firstTurnTime = Long.MIN_VALUE;
  /** Set by builds before 2026-12-03, which wrote it after valuing the unit; kept so their state is read as valued. */
  public boolean valued;
  /**
   * Known to have no outcome or judge score waiting for a turn, so a turn need not read that list.
   * False by default, which is the safe value for state restored from before the field existed.
   */
  public boolean noneWaiting;
  /**
   * Request ids of the unit's turns, at most {@link #INLINE_REQUESTS}: they are read with the unit,
   * so a turn costs one state lookup instead of three. Null in state from before they were kept
   * here; those ids, and any past the limit, are in the unit tracker's request map.
   */
  public String[] requestIds;
  /** Some of the unit's request ids are in the request map, not in {@link #requestIds}. */
  public boolean requestsElsewhere;

  /** A conversation rarely has more turns; a longer one keeps the rest in the request map. */
  public static final int INLINE_REQUESTS = 64;

  /** Adds judge scores of one of the unit's turns. */
  public void addJudge(String[] axes, double[] scores) {
    for (int i = 0; i < axes.length; i++) {
      int at = java.util.Arrays.asList(judgeAxes).indexOf(axes[i]);
      if (at < 0) {
        at = judgeAxes.length;
        judgeAxes = java.util.Arrays.copyOf(judgeAxes, at + 1);
        judgeSums = java.util.Arrays.copyOf(judgeSums, at + 1);
        judgeCounts = java.util.Arrays.copyOf(judgeCounts, at + 1);
        judgeAxes[at] = axes[i];
      }
      judgeSums[at] += scores[i];
      judgeCounts[at]++;
    }
  }

  public UnitState() {}

  public UnitState(String variant, String[] segments) {
    this.variant = variant;
    this.segments = segments;
    this.requestIds = new String[0];
  }

  /** Whether {@code requestId} is among the request ids kept in this state. */
  public boolean servedInline(String requestId) {
    if (requestIds != null) {
      for (String served : requestIds) {
        if (served.equals(requestId)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Keeps a request id in this state; false when it is full (or from before request ids were kept
   * here), in which case the caller keeps the id elsewhere and {@link #requestsElsewhere} is set.
   */
  public boolean rememberInline(String requestId) {
    if (requestIds == null || requestIds.length >= INLINE_REQUESTS) {
      requestsElsewhere = true;
      return false;
    }
    requestIds = java.util.Arrays.copyOf(requestIds, requestIds.length + 1);
    requestIds[requestIds.length - 1] = requestId;
    return true;
  }

  /** Whether some of the unit's request ids may be outside this state. */
  public boolean mayHaveRequestsElsewhere() {
    return requestIds == null || requestsElsewhere;
  }
}
