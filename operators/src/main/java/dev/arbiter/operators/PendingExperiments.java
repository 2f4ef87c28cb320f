package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.TurnAdmission;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.core.TurnObservation;
import dev.arbiter.wire.Rejection;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Holds turns of experiments the registry does not know yet, keyed by experiment id. A definition
 * and its first events are written by different producers to different topics, so events may
 * overtake their definition; they wait here until it arrives (then they are admitted) or until the
 * watermark passes their event time plus the hold (then they are dead-lettered as
 * unknown_experiment). The hold is in event time, so a replay makes the same choice.
 */
public class PendingExperiments extends KeyedBroadcastProcessFunction<String, Ingested, ExperimentDefinition, TurnObservation> {

  static final ListStateDescriptor<Ingested> PENDING =
      new ListStateDescriptor<>("pending-turns", TypeInformation.of(Ingested.class));

  private final long holdMs;
  private transient ListState<Ingested> pending;
  private transient Counters counters;

  public PendingExperiments(long holdMs) {
    this.holdMs = holdMs;
  }

  @Override
  public void open(OpenContext openContext) {
    pending = getRuntimeContext().getListState(PENDING);
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(Ingested in, ReadOnlyContext ctx, Collector<TurnObservation> out) throws Exception {
    ExperimentDefinition definition = ctx.getBroadcastState(Outputs.REGISTRY).get(ctx.getCurrentKey());
    if (definition != null) {
      admit(in, definition, ctx, out);
      return;
    }
    pending.add(in);
    ctx.timerService().registerEventTimeTimer(in.turn.getEventTime() + holdMs);
  }

  @Override
  public void processBroadcastElement(ExperimentDefinition definition, Context ctx, Collector<TurnObservation> out) throws Exception {
    if (!Registry.accept(ctx.getBroadcastState(Outputs.REGISTRY), definition)) {
      return;
    }
    ctx.applyToKeyedState(PENDING, (experimentId, state) -> {
      if (!experimentId.equals(definition.getExperimentId())) {
        return;
      }
      for (Ingested in : state.get()) {
        TurnChecks.Problem problem = TurnAdmission.admit(in, definition, out::collect);
        if (problem != null) {
          counters.inc("deadLetters", problem.rejection().code());
          ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, problem));
        }
      }
      state.clear();
    });
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TurnObservation> out) throws Exception {
    List<Ingested> keep = new ArrayList<>();
    for (Ingested in : pending.get()) {
      if (in.turn.getEventTime() + holdMs <= timestamp) {
        counters.inc("deadLetters", Rejection.UNKNOWN_EXPERIMENT.code());
        ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, new TurnChecks.Problem(Rejection.UNKNOWN_EXPERIMENT,
            "experiment '" + ctx.getCurrentKey() + "' is not registered; waited " + holdMs / 1000 + " s of event time for its definition")));
      } else {
        keep.add(in);
      }
    }
    pending.update(keep);
  }

  private void admit(Ingested in, ExperimentDefinition definition, ReadOnlyContext ctx, Collector<TurnObservation> out) {
    TurnChecks.Problem problem = TurnAdmission.admit(in, definition, out::collect);
    if (problem != null) {
      counters.inc("deadLetters", problem.rejection().code());
      ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, problem));
    }
  }
}
