package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Runs the {@link UnitTracker} and keeps idleness from passing it.
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

  public UnitTrackerOperator(UnitTracker tracker) {
    super(tracker);
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) {
    // Neither IDLE nor its matching ACTIVE goes downstream: this operator's output stays active.
  }
}
