package dev.arbiter.operators;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.wire.WireFormat;

/** Dead letters for records that decoded but were refused later in the pipeline. */
final class Rejections {
  private Rejections() {}

  /** The dead letter of a decoded record; its raw bytes are the record re-encoded in the current schema. */
  static DeadLetter deadLetter(Ingested in, TurnChecks.Problem problem) {
    org.apache.avro.specific.SpecificRecord payload = in.turn != null ? in.turn : in.outcome != null ? in.outcome : in.judge;
    return Ingested.deadLetter(problem.rejection(), problem.detail(), WireFormat.encode(payload),
        in.sourceTopic, in.sourcePartition, in.sourceOffset, in.experimentId(), in.eventTime());
  }
}
