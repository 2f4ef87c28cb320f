package dev.arbiter.core;

/** Cumulative successes and trials of a rate metric since the experiment started. A Flink POJO. */
public class RateTally {
  public long trials;
  public long successes;

  public RateTally() {}

  public void add(long windowTrials, long windowSuccesses) {
    trials += windowTrials;
    successes += windowSuccesses;
  }
}
