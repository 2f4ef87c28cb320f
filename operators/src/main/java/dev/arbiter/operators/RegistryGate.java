package dev.arbiter.operators;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Commands;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Registration;
import dev.arbiter.wire.Rejection;
import dev.arbiter.wire.WireFormat;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Validates definitions from the registry topic once, before they are broadcast, and fills in the
 * registered boundaries of their sequential design (see {@link Registration}). A rejected
 * definition becomes a dead letter and a REGISTRATION_REJECTED command that says what to fix; the
 * experiment's previous accepted version, if any, stays in force.
 */
public class RegistryGate extends ProcessFunction<Ingested, ExperimentDefinition> {
  private transient Counters counters;

  @Override
  public void open(OpenContext openContext) {
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(Ingested in, Context ctx, Collector<ExperimentDefinition> out) {
    if (in.deadLetter != null) {
      counters.deadLetter(in.deadLetter.getReason());
      ctx.output(Outputs.DEAD_LETTERS, in.deadLetter);
      return;
    }
    if (in.definition == null) {
      counters.deadLetter(Rejection.UNEXPECTED_RECORD_TYPE.code());
      ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.UNEXPECTED_RECORD_TYPE,
          "the registry topic carries ExperimentDefinition records only", null,
          in.sourceTopic, in.sourcePartition, in.sourceOffset, null, null));
      return;
    }
    ExperimentDefinition definition = in.definition;
    Registration.Result registration = Registration.register(definition);
    if (!registration.ok()) {
      String reason = String.join("; ", registration.problems());
      counters.deadLetter(Rejection.INVALID_DEFINITION.code());
      ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.INVALID_DEFINITION, reason,
          WireFormat.encode(definition), in.sourceTopic, in.sourcePartition, in.sourceOffset, definition.getExperimentId(), null));
      ControlCommand rejected = Commands.registrationRejected(definition, reason, definition.getStartTime());
      counters.command(rejected.getAction());
      ctx.output(Outputs.COMMANDS, rejected);
      return;
    }
    counters.counter("definitionsAccepted").inc();
    out.collect(registration.accepted());
  }
}
