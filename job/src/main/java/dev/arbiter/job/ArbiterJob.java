package dev.arbiter.job;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import dev.arbiter.job.cli.ArbiterCli;
import dev.arbiter.operators.GuardrailEvaluator;
import dev.arbiter.operators.GuardrailEvaluatorOperator;
import dev.arbiter.operators.ObservationTypeInfo;
import dev.arbiter.operators.Outputs;
import dev.arbiter.operators.PendingExperiments;
import dev.arbiter.operators.RecentStateOperator;
import dev.arbiter.operators.RegistryGate;
import dev.arbiter.operators.TurnRouter;
import dev.arbiter.operators.UnitTracker;
import dev.arbiter.operators.UnitTrackerOperator;
import dev.arbiter.operators.WindowAggregator;
import dev.arbiter.operators.WindowPreAggregator;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Arbiter job: per-turn events in, window metrics, guardrail decisions and dead letters out.
 *
 * <pre>
 * events ──> TurnRouter ─────────────────┬─> UnitTracker ─> combine ─> WindowAggregator ──> metrics
 *               │ unknown experiment     │   (exp, unit)    (local)     (exp, variant, segment)  │
 *               └─> PendingExperiments ──┘                                                       └─> GuardrailEvaluator ──> decisions
 * registry ──> RegistryGate ──(broadcast to TurnRouter and GuardrailEvaluator, keyed by experiment to PendingExperiments)
 * every stage ──> dead letters (with a reason)
 * </pre>
 *
 * <p>{@link #defineWorkflow} builds the graph from its ends, so the production job, backtests and
 * tests share it exactly; {@link #main} only parses options and wires Kafka. Options are listed
 * by {@code arbiter run --help} and in the README, generated from {@link ArbiterConfig}.
 */
public final class ArbiterJob {

  /** Stable operator ids: savepoints map state to operators by these, so they never change. */
  public static final class Uid {
    public static final String EVENTS_SOURCE = "events-source";
    public static final String REGISTRY_SOURCE = "registry-source";
    public static final String REGISTRY_GATE = "registry-gate";
    public static final String TURN_ROUTER = "turn-router";
    public static final String PENDING_EXPERIMENTS = "pending-experiments";
    public static final String UNIT_TRACKER = "unit-tracker";
    public static final String WINDOW_AGGREGATOR = "window-aggregator";
    /** Holds the windows it combines as operator state until they end. */
    public static final String WINDOW_PRE_AGGREGATOR = "window-pre-aggregator";
    public static final String GUARDRAIL_EVALUATOR = "guardrail-evaluator";
    public static final String DECISIONS_SINK = "decisions-sink";
    public static final String METRICS_SINK = "metrics-sink";
    public static final String VERDICTS_SINK = "verdicts-sink";
    public static final String LOOKS_SINK = "looks-sink";
    public static final String DEAD_LETTERS_SINK = "dead-letters-sink";

    private Uid() {}
  }

  /** Open windows one pre-aggregating subtask combines at most before it emits them all. */
  static final int PRE_AGGREGATION_MAX_WINDOWS = 50_000;

  private ArbiterJob() {}

  /**
   * `flink run` and REST (/jars/:id/run) entry point; the same as `arbiter run`. It never calls
   * System.exit: a jar run through the REST API runs this method inside the JobManager.
   */
  public static void main(String[] args) {
    int exit = ArbiterCli.execute(prepend("run", args));
    if (exit != 0) {
      throw new IllegalStateException("arbiter run exited with " + exit + " (its message is above)");
    }
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  /** Flink settings that follow from Arbiter's options: state backend, checkpoints, no Kryo. */
  public static Configuration flinkConfiguration(ArbiterConfig config) {
    Configuration flink = new Configuration();
    // Every type must have a real serializer: a silent Kryo fallback breaks savepoint compatibility.
    flink.set(PipelineOptions.GENERIC_TYPES, false);
    flink.set(StateBackendOptions.STATE_BACKEND, config.choice(ArbiterConfig.STATE_BACKEND, "rocksdb", "hashmap"));
    flink.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    // Most point lookups miss (a unit's first turn, a request id not seen before): without bloom
    // filters each miss searches every SST file, which was half of the unit tracker's CPU.
    flink.set(RocksDBConfigurableOptions.USE_BLOOM_FILTER, true);
    flink.set(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE, MemorySize.ofMebiBytes(config.getLong(ArbiterConfig.ROCKSDB_WRITE_BUFFER_MB)));
    flink.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(config.getLong(ArbiterConfig.CHECKPOINT_INTERVAL_MS)));
    flink.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    String checkpointDir = config.get(ArbiterConfig.CHECKPOINT_DIR);
    if (!checkpointDir.isBlank()) {
      flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
    }
    long parallelism = config.getLong(ArbiterConfig.PARALLELISM);
    if (parallelism > 0) {
      flink.set(CoreOptions.DEFAULT_PARALLELISM, (int) parallelism);
    }
    return flink;
  }

  /** Builds the whole graph between the given ends. */
  public static void defineWorkflow(StreamExecutionEnvironment env, ArbiterConfig config, Endpoints ends) {
    defineWorkflow(env, config, ends, GraphHooks.NONE);
  }

  /** Builds the whole graph between the given ends, with the stages a later revision adds through {@code hooks}. */
  public static void defineWorkflow(StreamExecutionEnvironment env, ArbiterConfig config, Endpoints ends, GraphHooks hooks) {
    // Shown in the Flink UI as the job's parameters, so an operator sees what the job runs with.
    env.getConfig().setGlobalJobParameters(Configuration.fromMap(config.explicitValues()));
    // Every function emits new objects and keeps none it has emitted, so chained operators can
    // share them instead of deep-copying each record between them.
    env.getConfig().enableObjectReuse();
    WatermarkStrategy<Ingested> eventWatermarks = WatermarkStrategy
        .<Ingested>forBoundedOutOfOrderness(Duration.ofMillis(config.getLong(ArbiterConfig.OUT_OF_ORDERNESS_MS)))
        .withIdleness(Duration.ofMillis(config.getLong(ArbiterConfig.IDLENESS_MS)))
        .withTimestampAssigner((ingested, recordTimestamp) -> ingested.eventTime());

    DataStream<Ingested> events = env.fromSource(ends.events(), eventWatermarks, "events")
        .uid(Uid.EVENTS_SOURCE);

    // One registry reader: definitions are few, and a single reader keeps their order.
    SingleOutputStreamOperator<ExperimentDefinition> definitions = env
        .fromSource(ends.registry(), ends.registryWatermarks(), "registry")
        .uid(Uid.REGISTRY_SOURCE).setParallelism(1)
        .process(new RegistryGate()).returns(Outputs.DEFINITION_TYPE)
        .uid(Uid.REGISTRY_GATE).name("registry gate").setParallelism(1);
    BroadcastStream<ExperimentDefinition> registry = definitions.broadcast(Outputs.REGISTRY);

    SingleOutputStreamOperator<Observation> routed = events
        .connect(registry)
        .process(new TurnRouter()).returns(ObservationTypeInfo.INSTANCE)
        .uid(Uid.TURN_ROUTER).name("decode, validate, route");

    SingleOutputStreamOperator<Observation> released = routed.getSideOutput(Outputs.PENDING)
        .keyBy(Ingested::experimentId)
        .connect(definitions.keyBy(ExperimentDefinition::getExperimentId))
        .process(new PendingExperiments(config.getLong(ArbiterConfig.UNKNOWN_EXPERIMENT_HOLD_MS))).returns(ObservationTypeInfo.INSTANCE)
        .uid(Uid.PENDING_EXPERIMENTS).name("hold turns of unregistered experiments");

    SingleOutputStreamOperator<Observation> placed = routed.union(released)
        .keyBy(observation -> Observation.unitKey(observation.experimentId, observation.unitId))
        .transform("units: leaks, duplicates, outcome and judge joins", ObservationTypeInfo.INSTANCE, new UnitTrackerOperator(
            new UnitTracker(config.getLong(ArbiterConfig.JOIN_MAX_WAIT_MS), config.getLong(ArbiterConfig.UNIT_STATE_TTL_MS)),
            (int) config.getLong(ArbiterConfig.UNIT_STATE_RECENT_UNITS)))
        .uid(Uid.UNIT_TRACKER);

    DataStream<Observation> toWindows = placed;
    if (config.choice(ArbiterConfig.PRE_AGGREGATION, "on", "off").equals("on")) {
      toWindows = placed
          .transform("combine observations per window", ObservationTypeInfo.INSTANCE, new WindowPreAggregator(PRE_AGGREGATION_MAX_WINDOWS))
          .uid(Uid.WINDOW_PRE_AGGREGATOR);
    }
    SingleOutputStreamOperator<WindowSummary> windows = toWindows
        .keyBy(observation -> observation.windowKey)
        .transform("windows per experiment, variant, segment", Outputs.SUMMARY_TYPE,
            new RecentStateOperator<>(new WindowAggregator(config.getLong(ArbiterConfig.RECENT_WINDOWS_MB) << 20),
                (int) config.getLong(ArbiterConfig.RECENT_WINDOWS)))
        .uid(Uid.WINDOW_AGGREGATOR);

    // connect(broadcast()) rather than connect(registry).process(...): the same operator, but one
    // that writes the summaries it holds before each barrier, which process() has no way to ask for.
    SingleOutputStreamOperator<ControlCommand> verdicts = hooks.windows(windows)
        .keyBy(WindowSummary::getExperimentId)
        .connect(definitions.broadcast())
        .transform("guardrail evaluator", Outputs.COMMAND_TYPE, new GuardrailEvaluatorOperator(new GuardrailEvaluator()))
        .uid(Uid.GUARDRAIL_EVALUATOR);

    windows.sinkTo(ends.metrics()).uid(Uid.METRICS_SINK).name("metrics sink");
    verdicts.getSideOutput(Outputs.VERDICTS).sinkTo(ends.verdicts()).uid(Uid.VERDICTS_SINK).name("rule verdicts sink");
    verdicts.getSideOutput(Outputs.LOOKS).sinkTo(ends.looks()).uid(Uid.LOOKS_SINK).name("sequential looks sink");

    hooks.commands(verdicts.union(definitions.getSideOutput(Outputs.COMMANDS)))
        .sinkTo(ends.decisions()).uid(Uid.DECISIONS_SINK).name("decisions sink");

    DataStream<DeadLetter> deadLetters = definitions.getSideOutput(Outputs.DEAD_LETTERS)
        .union(routed.getSideOutput(Outputs.DEAD_LETTERS),
            released.getSideOutput(Outputs.DEAD_LETTERS),
            placed.getSideOutput(Outputs.DEAD_LETTERS),
            windows.getSideOutput(Outputs.DEAD_LETTERS));
    deadLetters.sinkTo(ends.deadLetters()).uid(Uid.DEAD_LETTERS_SINK).name("dead letters sink");
  }
}
