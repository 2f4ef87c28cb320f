package dev.arbiter.operators;

import org.apache.flink.streaming.api.operators.KeyContext;

/**
 * A keyed function that can hold the state it touched lately on the heap, in front of its keyed
 * state, and write the changes back when asked ({@link RecentStateOperator} asks).
 */
interface HoldsRecentState {

  /** Holds up to {@code capacity} recently touched entries on the heap from now on. */
  void holdRecent(int capacity);

  /** Writes every entry changed since it was last written to keyed state, switching {@code keys} to each. */
  void writeBack(KeyContext keys, long now) throws Exception;

  /** Drops the entries touched longest ago when too many are held, writing the changed ones. */
  void dropOldestWhenFull(KeyContext keys) throws Exception;
}
