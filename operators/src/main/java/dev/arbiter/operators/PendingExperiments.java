package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Admission;
import dev.arbiter.core.Observation;
import dev.arbiter.core.TurnChecks;
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
 * Holds events of experiments the registry does not know yet, keyed by experiment id. A definition
 * and its first events are written by different producers to different topics, so events may
 * overtake their definition; they wait here until it arrives (then they are admitted) or until the
 * watermark passes their event time plus the hold (then they are dead-lettered as
 * unknown_experiment). The hold is in event time, so a replay makes the same choice.
 */
public class PendingExperiments extends KeyedBroadcastProcessFunction<String, Ingested, ExperimentDefinition, Observation> {

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
  public void processElement(Ingested in, ReadOnlyContext ctx, Collector<Observation> out) throws Exception {
    ExperimentDefinition definition = ctx.getBroadcastState(Outputs.REGISTRY).get(ctx.getCurrentKey());
    if (definition != null) {
      admit(in, definition, letter -> ctx.output(Outputs.DEAD_LETTERS, letter), out);
      return;
    }
    pending.add(in);
    ctx.timerService().registerEventTimeTimer(in.eventTime() + holdMs);
  }

  @Override
  public void processBroadcastElement(ExperimentDefinition definition, Context ctx, Collector<Observation> out) throws Exception {
    if (!Registry.accept(ctx.getBroadcastState(Outputs.REGISTRY), definition)) {
      return;
    }
    ctx.applyToKeyedState(PENDING, (experimentId, state) -> {
      if (!experimentId.equals(definition.getExperimentId())) {
        return;
      }
      for (Ingested in : state.get()) {
        admit(in, definition, letter -> ctx.output(Outputs.DEAD_LETTERS, letter), out);
      }
      state.clear();
    });
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<Observation> out) throws Exception {
    List<Ingested> keep = new ArrayList<>();
    for (Ingested in : pending.get()) {
      if (in.eventTime() + holdMs <= timestamp) {
        counters.deadLetter(Rejection.UNKNOWN_EXPERIMENT.code());
        ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, new TurnChecks.Problem(Rejection.UNKNOWN_EXPERIMENT,
            "experiment '" + ctx.getCurrentKey() + "' is not registered; waited " + holdMs / 1000 + " s of event time for its definition")));
      } else {
        keep.add(in);
      }
    }
    pending.update(keep);
  }

  private void admit(Ingested in, ExperimentDefinition definition, java.util.function.Consumer<dev.arbiter.avro.DeadLetter> deadLetters,
      Collector<Observation> out) {
    Admission.Result admitted = Admission.admit(in, definition);
    if (admitted.problem() != null) {
      counters.deadLetter(admitted.problem().rejection().code());
      deadLetters.accept(Rejections.deadLetter(in, admitted.problem()));
    } else {
      out.collect(admitted.observation());
    }
  }
}
