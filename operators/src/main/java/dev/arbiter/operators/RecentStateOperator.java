package dev.arbiter.operators;

import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Runs a keyed function that holds recently touched state on the heap ({@link HoldsRecentState}):
 * it writes the changed entries to keyed state before every checkpoint barrier, so each snapshot
 * and savepoint has them all, and has the oldest dropped (changed ones written first) after each
 * element and timer once more than the configured number are held. A restore starts with none
 * held and reads each entry from state again. With the heap state backend every change is written
 * at once.
 */
public class RecentStateOperator<IN, OUT> extends KeyedProcessOperator<String, IN, OUT> {
  private final int capacity;

  /** @param capacity entries each subtask holds on the heap; 0 reads and writes state on every change */
  public <F extends KeyedProcessFunction<String, IN, OUT> & HoldsRecentState> RecentStateOperator(F function, int capacity) {
    super(function);
    this.capacity = capacity;
  }

  @Override
  public void open() throws Exception {
    super.open();
    // A heap state backend keeps the objects it is handed and snapshots them asynchronously, so an
    // entry changed in place after its write could change under a running snapshot; it also holds
    // everything on the heap already. Holding recent state is for backends that copy what they store.
    if (capacity > 0 && getKeyedStateBackend().isSafeToReuseKVState()) {
      holder().holdRecent(capacity);
    }
  }

  private HoldsRecentState holder() {
    return (HoldsRecentState) getUserFunction();
  }

  @Override
  public void processElement(StreamRecord<IN> element) throws Exception {
    super.processElement(element);
    holder().dropOldestWhenFull(this);
  }

  @Override
  public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    super.onEventTime(timer);
    holder().dropOldestWhenFull(this);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    holder().writeBack(this, getProcessingTimeService().getCurrentProcessingTime());
  }
}
