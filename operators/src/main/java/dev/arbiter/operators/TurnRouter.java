package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Admission;
import dev.arbiter.core.Observation;
import dev.arbiter.wire.Rejection;
import dev.arbiter.wire.WireFormat;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The first stop of every decoded record, chained to the source so it costs no shuffle: dead
 * letters go to their side output, events of registered experiments are admitted (checked against
 * the definition) and go on to the {@link UnitTracker}, and events of experiments the registry does
 * not know yet are handed to {@link PendingExperiments}.
 */
public class TurnRouter extends BroadcastProcessFunction<Ingested, ExperimentDefinition, Observation> {
  private transient Counters counters;

  @Override
  public void open(OpenContext openContext) {
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(Ingested in, ReadOnlyContext ctx, Collector<Observation> out) throws Exception {
    counters.counter("eventsIn").inc();
    if (in.deadLetter != null) {
      counters.deadLetter(in.deadLetter.getReason());
      ctx.output(Outputs.DEAD_LETTERS, in.deadLetter);
      return;
    }
    if (in.definition != null) {
      // Without an experiment id to key by, a definition here would fail the job further down.
      counters.deadLetter(Rejection.UNEXPECTED_RECORD_TYPE.code());
      ctx.output(Outputs.DEAD_LETTERS, Ingested.deadLetter(Rejection.UNEXPECTED_RECORD_TYPE,
          "an ExperimentDefinition on an event topic; definitions belong on the registry topic", WireFormat.encode(in.definition),
          in.sourceTopic, in.sourcePartition, in.sourceOffset, in.definition.getExperimentId(), null));
      return;
    }
    ExperimentDefinition definition = ctx.getBroadcastState(Outputs.REGISTRY).get(in.experimentId());
    if (definition == null) {
      counters.counter("pendingExperimentEvents").inc();
      ctx.output(Outputs.PENDING, in);
      return;
    }
    Admission.Result admitted = Admission.admit(in, definition);
    if (admitted.problem() != null) {
      counters.deadLetter(admitted.problem().rejection().code());
      ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, admitted.problem()));
      return;
    }
    out.collect(admitted.observation());
  }

  @Override
  public void processBroadcastElement(ExperimentDefinition definition, Context ctx, Collector<Observation> out) throws Exception {
    Registry.accept(ctx.getBroadcastState(Outputs.REGISTRY), definition);
  }
}
