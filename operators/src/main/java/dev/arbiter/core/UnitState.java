package dev.arbiter.core;

/** What Arbiter remembers of one randomization unit: where its first turn placed it. A Flink POJO. */
public class UnitState {
  /** Variant of the unit's first turn; outcomes and judge scores of the unit count there. */
  public String variant;
  /** Segment labels of the unit's first turn. */
  public String[] segments;
  /** Units seen in a second variant are counted once as leaks. */
  public boolean leaked;

  public UnitState() {}

  public UnitState(String variant, String[] segments) {
    this.variant = variant;
    this.segments = segments;
  }
}
