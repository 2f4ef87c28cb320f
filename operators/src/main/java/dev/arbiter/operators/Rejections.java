package dev.arbiter.operators;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.wire.WireFormat;

/** Dead letters for records that decoded but were refused later in the pipeline. */
final class Rejections {
  private Rejections() {}

  static DeadLetter deadLetter(Ingested in, TurnChecks.Problem problem) {
    return Ingested.deadLetter(problem.rejection(), problem.detail(), WireFormat.encode(in.turn),
        in.sourceTopic, in.sourcePartition, in.sourceOffset, in.turn.getExperimentId(), in.turn.getEventTime());
  }
}
