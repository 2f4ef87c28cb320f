package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Commands;
import dev.arbiter.core.DefinitionValidator;
import dev.arbiter.core.Ingested;
import dev.arbiter.wire.Rejection;
import dev.arbiter.wire.WireFormat;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Validates definitions from the registry topic once, before they are broadcast. A rejected
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
      counters.inc("deadLetters", in.deadLetter.getReason());
      ctx.output(Outputs.DEAD_LETTERS, in.deadLetter);
      return;
    }
    if (in.definition == null) {
      counters.inc("deadLetters", Rejection.UNEXPECTED_RECORD_TYPE.code());
      ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.UNEXPECTED_RECORD_TYPE,
          "the registry topic carries ExperimentDefinition records only", null,
          in.sourceTopic, in.sourcePartition, in.sourceOffset, null, null));
      return;
    }
    ExperimentDefinition definition = in.definition;
    List<String> problems = DefinitionValidator.problems(definition);
    if (!problems.isEmpty()) {
      String reason = String.join("; ", problems);
      counters.inc("deadLetters", Rejection.INVALID_DEFINITION.code());
      ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.INVALID_DEFINITION, reason,
          WireFormat.encode(definition), in.sourceTopic, in.sourcePartition, in.sourceOffset, definition.getExperimentId(), null));
      ctx.output(Outputs.COMMANDS, Commands.registrationRejected(definition, reason, definition.getStartTime()));
      return;
    }
    counters.counter("definitionsAccepted").inc();
    out.collect(definition);
  }
}
