package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.TurnAdmission;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.core.TurnObservation;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The first stop of every decoded record, chained to the source so it costs no shuffle: dead
 * letters go to their side output, turns of registered experiments become one observation per
 * window, and turns of experiments the registry does not know yet are handed to
 * {@link PendingExperiments}. Outcomes and judge scores are counted until the metrics that use
 * them exist.
 */
public class TurnRouter extends BroadcastProcessFunction<Ingested, ExperimentDefinition, TurnObservation> {
  private transient Counters counters;

  @Override
  public void open(OpenContext openContext) {
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(Ingested in, ReadOnlyContext ctx, Collector<TurnObservation> out) throws Exception {
    counters.counter("eventsIn").inc();
    if (in.deadLetter != null) {
      counters.inc("deadLetters", in.deadLetter.getReason());
      ctx.output(Outputs.DEAD_LETTERS, in.deadLetter);
      return;
    }
    if (in.turn == null) {
      counters.counter(in.outcome != null ? "outcomesNotYetUsed" : "judgeScoresNotYetUsed").inc();
      return;
    }
    ExperimentDefinition definition = ctx.getBroadcastState(Outputs.REGISTRY).get(in.turn.getExperimentId());
    if (definition == null) {
      counters.counter("pendingExperimentTurns").inc();
      ctx.output(Outputs.PENDING, in);
      return;
    }
    TurnChecks.Problem problem = TurnAdmission.admit(in, definition, out::collect);
    if (problem != null) {
      counters.inc("deadLetters", problem.rejection().code());
      ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, problem));
    }
  }

  @Override
  public void processBroadcastElement(ExperimentDefinition definition, Context ctx, Collector<TurnObservation> out) throws Exception {
    Registry.accept(ctx.getBroadcastState(Outputs.REGISTRY), definition);
  }
}
