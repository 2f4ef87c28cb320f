package dev.arbiter.job.simulate;

import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import org.apache.avro.specific.SpecificRecord;

/** What a producer needs to know of a simulated input event. */
public final class Events {
  private Events() {}

  public static long eventTime(SpecificRecord event) {
    if (event instanceof TurnEvent turn) {
      return turn.getEventTime();
    }
    if (event instanceof OutcomeEvent outcome) {
      return outcome.getEventTime();
    }
    return ((JudgeScoreEvent) event).getEventTime();
  }

  /** The Kafka key: the unit, so all of a unit's events keep their order on one partition. */
  public static String unitId(SpecificRecord event) {
    if (event instanceof TurnEvent turn) {
      return turn.getUnitId();
    }
    if (event instanceof OutcomeEvent outcome) {
      return outcome.getUnitId();
    }
    return ((JudgeScoreEvent) event).getUnitId();
  }
}
