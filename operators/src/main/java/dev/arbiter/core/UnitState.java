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
  public boolean valued;
  /**
   * Known to have no outcome or judge score waiting for a turn, so a turn need not read that list.
   * False by default, which is the safe value for state restored from before the field existed.
   */
  public boolean noneWaiting;

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
  }
}
