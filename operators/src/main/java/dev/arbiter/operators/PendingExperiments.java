package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Admission;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.wire.Rejection;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Holds events of experiments the registry does not know yet, keyed by experiment id. A definition
 * and its first events are written by different producers to different topics, so events may
 * overtake their definition; they wait here until it arrives (then they are admitted) or until the
 * watermark passes their event time plus the hold (then they are dead-lettered as
 * unknown_experiment). The hold is in event time, so a replay makes the same choice.
 *
 * <p>Definitions arrive keyed by experiment like the events, so a definition releases its own
 * experiment's events directly. (Built on broadcast state, each definition had to visit every
 * experiment holding events: registering a thousand experiments while their events flowed
 * cost a million key visits.) Each subtask keeps the newest definition of its experiments; the
 * router's broadcast registry still decides which events come here.
 */
public class PendingExperiments extends KeyedCoProcessFunction<String, Ingested, ExperimentDefinition, Observation>
    implements CheckpointedFunction {

  static final ListStateDescriptor<Ingested> PENDING =
      new ListStateDescriptor<>("pending-turns", TypeInformation.of(Ingested.class));

  static final ValueStateDescriptor<ExperimentDefinition> DEFINITION =
      new ValueStateDescriptor<>("registered-definition", new AvroTypeInfo<>(ExperimentDefinition.class));

  private final long holdMs;
  private transient ListState<Ingested> pending;
  private transient ValueState<ExperimentDefinition> definition;
  private transient Counters counters;

  public PendingExperiments(long holdMs) {
    this.holdMs = holdMs;
  }

  @Override
  public void open(OpenContext openContext) {
    pending = getRuntimeContext().getListState(PENDING);
    definition = getRuntimeContext().getState(DEFINITION);
    counters = new Counters(getRuntimeContext().getMetricGroup());
  }

  /**
   * Builds before the keyed definitions kept every definition in this operator's broadcast state;
   * Flink restores state nobody claims and carries it into every later checkpoint, so it is emptied
   * here.
   */
  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    if (context.isRestored()) {
      context.getOperatorStateStore().getBroadcastState(Outputs.REGISTRY).clear();
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) {}

  @Override
  public void processElement1(Ingested in, Context ctx, Collector<Observation> out) throws Exception {
    ExperimentDefinition registered = definition.value();
    if (registered != null) {
      admit(in, registered, ctx, out);
      return;
    }
    pending.add(in);
    ctx.timerService().registerEventTimeTimer(in.eventTime() + holdMs);
  }

  /** Keeps the newest version (older or equal ones are ignored, as in the router) and releases what waited for it. */
  @Override
  public void processElement2(ExperimentDefinition arrived, Context ctx, Collector<Observation> out) throws Exception {
    ExperimentDefinition current = definition.value();
    if (current != null && current.getVersion() >= arrived.getVersion()) {
      return;
    }
    definition.update(arrived);
    Iterable<Ingested> waiting = pending.get();
    if (waiting == null) {
      return;
    }
    for (Ingested in : waiting) {
      admit(in, arrived, ctx, out);
    }
    pending.clear();
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<Observation> out) throws Exception {
    Iterable<Ingested> waiting = pending.get();
    if (waiting == null) {
      return;
    }
    List<Ingested> keep = new ArrayList<>();
    for (Ingested in : waiting) {
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

  private void admit(Ingested in, ExperimentDefinition registered, Context ctx, Collector<Observation> out) {
    Admission.Result admitted = Admission.admit(in, registered);
    if (admitted.problem() != null) {
      counters.deadLetter(admitted.problem().rejection().code());
      ctx.output(Outputs.DEAD_LETTERS, Rejections.deadLetter(in, admitted.problem()));
    } else {
      out.collect(admitted.observation());
    }
  }
}
