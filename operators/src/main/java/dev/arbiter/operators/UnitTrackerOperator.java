package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import dev.arbiter.core.RecentUnits;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Runs the {@link UnitTracker} with its recent units on the heap, and keeps idleness from passing it.
 *
 * <p>The tracker holds the units it touched lately ({@link RecentUnits}); {@link RecentStateOperator}
 * writes them back before every checkpoint barrier and has the oldest dropped.
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
public class UnitTrackerOperator extends RecentStateOperator<Observation, Observation> {

  /** @param recentUnits units each subtask holds on the heap; 0 reads and writes state on every event */
  public UnitTrackerOperator(UnitTracker tracker, int recentUnits) {
    super(tracker, recentUnits);
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) {
    // Neither IDLE nor its matching ACTIVE goes downstream: this operator's output stays active.
  }
}
