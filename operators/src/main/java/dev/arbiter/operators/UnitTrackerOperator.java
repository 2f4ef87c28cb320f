package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import dev.arbiter.core.RecentUnits;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Runs the {@link UnitTracker} with its recent units on the heap, and keeps idleness from passing it.
 *
 * <p>The tracker holds the units it touched lately ({@link RecentUnits}); this operator writes
 * the changed ones to keyed state before every checkpoint barrier, so each snapshot and savepoint
 * has them all, and has the oldest dropped (changed ones written first) whenever more than the
 * configured number are held. A restore starts with none held and reads each unit from state again.
 * With the heap state backend every change is written at once.
 *
 * <p>Every subtask here reads every router subtask through the shuffle, so all of them turn idle
 * together, only when every input partition has gone quiet, and passing that on lets nothing
 * downstream make progress it could not make anyway. What it does do is race: on resuming, the
 * first subtask's watermark reached the window operator while another subtask was still marked
 * idle there, the window operator closed four windows on that one subtask alone, and the other's
 * share of them (the turns it held, the units its timers valued as the watermark moved) arrived
 * late and was dead-lettered. Without the idle status, the window operator waits for the watermark
 * of every subtask here, as it does while events flow.
 */
public class UnitTrackerOperator extends KeyedProcessOperator<String, Observation, Observation> {
  private final int recentUnits;

  /** @param recentUnits units each subtask holds on the heap; 0 reads and writes state on every event */
  public UnitTrackerOperator(UnitTracker tracker, int recentUnits) {
    super(tracker);
    this.recentUnits = recentUnits;
  }

  @Override
  public void open() throws Exception {
    super.open();
    // A heap state backend keeps the objects it is handed and snapshots them asynchronously, so a
    // unit changed in place after its write could change under a running snapshot; it also holds
    // every unit on the heap already. Recent units are for backends that copy what they store.
    if (recentUnits > 0 && getKeyedStateBackend().isSafeToReuseKVState()) {
      tracker().holdRecentUnits(recentUnits);
    }
  }

  private UnitTracker tracker() {
    return (UnitTracker) getUserFunction();
  }

  @Override
  public void processElement(StreamRecord<Observation> element) throws Exception {
    super.processElement(element);
    tracker().dropOldestWhenFull(this);
  }

  @Override
  public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    super.onEventTime(timer);
    tracker().dropOldestWhenFull(this);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    tracker().writeBack(this, getProcessingTimeService().getCurrentProcessingTime());
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) {
    // Neither IDLE nor its matching ACTIVE goes downstream: this operator's output stays active.
  }
}
