package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.Endpoints;
import dev.arbiter.job.GraphHooks;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.SupportBotTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A savepoint of this build restores into a newer build of the job (a stage with a new metric after
 * the window aggregator, another before the decisions sink, and different operator chains) with
 * RocksDB and nothing left unclaimed: a guardrail streak, the sequential looks and the per-unit
 * state carry on, and the committed commands equal, id for id, those of an uninterrupted run.
 */
class SavepointUpgradeIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static EmbeddedKafka kafka;

  @TempDir
  static Path checkpoints;
  @TempDir
  static Path referenceCheckpoints;
  @TempDir
  static Path savepoints;

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void streakLooksAndUnitsSurviveAnUpgradeThatChangesTheGraph() throws Exception {
    kafka = EmbeddedKafka.start();
    // Units are valued one minute (event time) after their outcome, so both runs value every unit.
    // Idle after 10 s, not 2, so the input goes quiet (and idle) less often while the job starts
    // under load; the judge topic is empty here, so it must still become idle for event time to advance.
    ArbiterConfig config = KafkaFixture.jobConfig(kafka, checkpoints).with(ArbiterConfig.JOIN_MAX_WAIT_MS, 60_000)
        .with(ArbiterConfig.IDLENESS_MS, 10_000);
    ArbiterConfig reference = KafkaFixture.uninterrupted(config, referenceCheckpoints);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
      Topics.create(admin, reference, 2);
    }

    StreakAcrossTheCut input = new StreakAcrossTheCut(System.currentTimeMillis() - 60 * 60_000);
    ExperimentDefinition definition = input.definition;
    SupportBotTraffic traffic = input.traffic;
    List<SpecificRecord> before = input.before;
    List<SpecificRecord> after = input.after;
    assertThat(unitsEndingAfterTheCut(before, after)).as("units with turns before the cut and their outcome after it").isGreaterThan(20);

    assertThat(graph(config, GraphHooks.NONE).getVerticesSortedTopologicallyFromSources()).extracting(JobVertex::getName)
        .as("this build chains the metrics sink to the window aggregator and runs the decisions sink on its own")
        .anySatisfy(name -> assertThat(name).contains("windows per experiment", "metrics sink"))
        .anySatisfy(name -> assertThat(name).startsWith("decisions sink"));
    assertThat(graph(config, new NewerBuild()).getVerticesSortedTopologicallyFromSources()).extracting(JobVertex::getName)
        .as("the newer build does neither")
        .noneSatisfy(name -> assertThat(name).contains("windows per experiment", "metrics sink"))
        .noneSatisfy(name -> assertThat(name).startsWith("decisions sink"))
        .anySatisfy(name -> assertThat(name).isEqualTo("window close lag"))
        .anySatisfy(name -> assertThat(name).startsWith("count decisions -> decisions sink"));

    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      // The uninterrupted run: this build over the whole input, on its own topics, to the end of it.
      input.runUninterrupted(producer, reference);
      List<ControlCommand> expected = committed(reference.get(ArbiterConfig.TOPIC_DECISIONS), ControlCommand.class);
      List<SequentialLook> expectedLooks = committed(reference.get(ArbiterConfig.TOPIC_METRICS), SequentialLook.class);
      long lastWindow = traffic.windowStart(8);

      // This build over the first part, stopped with a savepoint while the latency streak stands at 2 of 3.
      input.register(producer, config);
      StreakAcrossTheCut.send(producer, config, before);
      StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
      ArbiterJob.defineWorkflow(first, config, KafkaEndpoints.of(config, false));
      JobClient firstJob = first.executeAsync("arbiter-this-build");
      String metrics = config.get(ArbiterConfig.TOPIC_METRICS);
      KafkaFixture.await(() -> committed(metrics, RuleVerdict.class),
          verdicts -> verdicts.stream().anyMatch(v -> latencyRollup(v) && v.getWindowStart() == traffic.windowStart(3)), Duration.ofSeconds(90));
      String savepoint = firstJob.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
      RuleVerdict standing = committed(metrics, RuleVerdict.class).stream()
          .filter(v -> latencyRollup(v) && v.getWindowStart() == traffic.windowStart(3)).findFirst().orElseThrow();
      assertThat(standing.getVerdict()).isEqualTo("BREACH");
      assertThat(standing.getStreak()).as("streak at the savepoint").isEqualTo(2);
      List<ControlCommand> beforeUpgrade = committed(config.get(ArbiterConfig.TOPIC_DECISIONS), ControlCommand.class);
      assertThat(beforeUpgrade).extracting(ControlCommand::getAction)
          .as("commands before the upgrade: %s; latency verdicts: %s", describe(beforeUpgrade, traffic),
              committed(metrics, RuleVerdict.class).stream().filter(SavepointUpgradeIT::latencyRollup)
                  .map(v -> (v.getWindowStart() - traffic.windowStart(0)) / 60_000 + ":" + v.getVerdict() + "/" + v.getStreak()).toList())
          .doesNotContain("PAUSE_EXPOSURE");
      int looksBeforeUpgrade = committed(metrics, SequentialLook.class).size();
      assertThat(looksBeforeUpgrade).as("looks taken before the savepoint; %s", diagnosis(config, reference, traffic, traffic.windowStart(3)))
          .isPositive();

      // The newer build from the savepoint; every piece of state must find its operator by uid.
      StreakAcrossTheCut.send(producer, config, after);
      Configuration restored = ArbiterJob.flinkConfiguration(config);
      restored.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      restored.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
      StreamExecutionEnvironment second = StreamExecutionEnvironment.getExecutionEnvironment(restored);
      ArbiterJob.defineWorkflow(second, config, KafkaEndpoints.of(config, false), new NewerBuild());
      JobClient secondJob = second.executeAsync("arbiter-newer-build");
      Set<String> expectedIds = ids(expected);
      List<ControlCommand> commands = KafkaFixture.await(() -> committed(config.get(ArbiterConfig.TOPIC_DECISIONS), ControlCommand.class),
          seen -> ids(seen).containsAll(expectedIds)
              && committed(metrics, RuleVerdict.class).stream().anyMatch(v -> latencyRollup(v) && v.getWindowStart() == lastWindow), Duration.ofSeconds(90));
      secondJob.cancel().get();

      assertThat(commands).extracting(ControlCommand::getCommandId)
          .as("upgraded %s, uninterrupted %s", describe(commands, traffic), describe(expected, traffic))
          .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expectedIds);
      ControlCommand pause = commands.stream().filter(c -> c.getAction().equals("PAUSE_EXPOSURE")).findFirst().orElseThrow();
      assertThat(pause.getWindowStart()).as("the streak completed in window 4, not reset").isEqualTo(traffic.windowStart(4));
      assertThat(pause.getStreak()).isEqualTo(3);

      List<SequentialLook> looks = committed(metrics, SequentialLook.class);
      assertThat(looks).extracting(SequentialLook::getLookIndex)
          .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, looks.size()).boxed().toList());
      assertThat(looks.size()).as("looks after the upgrade").isGreaterThan(looksBeforeUpgrade);
      // Outcomes that arrived after the restart joined units whose turns came before it: the counts match.
      assertThat(looks).as("looks; %s", diagnosis(config, reference, traffic, lastWindow))
          .extracting(SequentialLook::getLookIndex, SequentialLook::getWindowEnd, SequentialLook::getControlUnits, SequentialLook::getTreatmentUnits,
              SequentialLook::getControlSuccesses, SequentialLook::getTreatmentSuccesses, SequentialLook::getOutcome)
          .containsExactlyElementsOf(expectedLooks.stream().map(l -> org.assertj.core.groups.Tuple.tuple(l.getLookIndex(), l.getWindowEnd(),
              l.getControlUnits(), l.getTreatmentUnits(), l.getControlSuccesses(), l.getTreatmentSuccesses(), l.getOutcome())).toList());
      long firstCompared = traffic.windowStart(2);
      List<WindowSummary> upgraded = committed(metrics, WindowSummary.class);
      List<WindowSummary> uninterrupted = committed(reference.get(ArbiterConfig.TOPIC_METRICS), WindowSummary.class);
      assertThat(KafkaFixture.rollups(upgraded, firstCompared, lastWindow)).as("per-window turns, units and outcomes")
          .containsExactlyElementsOf(KafkaFixture.rollups(uninterrupted, firstCompared, lastWindow));
      // A unit counts as new in the window of its first turn by event time, whichever turn was processed first and
      // on which side of the upgrade: the sample-ratio test reads these counts.
      Map<String, Long> newUnits = newUnits(upgraded, firstCompared, lastWindow);
      assertThat(newUnits.values().stream().mapToLong(Long::longValue).sum()).as("new units after the upgrade").isPositive();
      assertThat(newUnits).as("per-window new units").isEqualTo(newUnits(uninterrupted, firstCompared, lastWindow));
      assertThat(committed(config.get(ArbiterConfig.TOPIC_DEAD_LETTERS), DeadLetter.class)).isEmpty();
    }
  }

  private static Map<String, Long> newUnits(List<WindowSummary> summaries, long firstWindow, long lastWindow) {
    Map<String, Long> counts = new java.util.TreeMap<>();
    summaries.stream().filter(s -> s.getSegment().equals("*") && s.getWindowStart() >= firstWindow && s.getWindowStart() <= lastWindow)
        .forEach(s -> counts.merge(s.getWindowStart() + "/" + s.getVariantId(), s.getNewUnits(), Long::sum));
    return counts;
  }

  /** What a failed comparison needs to be understood: the dead letters and both runs' rollups per window. */
  private static String diagnosis(ArbiterConfig config, ArbiterConfig reference, SupportBotTraffic traffic, long lastWindow) {
    long first = traffic.windowStart(0);
    return "dead letters " + committed(config.get(ArbiterConfig.TOPIC_DEAD_LETTERS), DeadLetter.class).stream()
        .map(d -> d.getReason() + " at +" + (d.getEventTime() - first) / 1000 + " s: " + d.getDetail()).toList()
        + "; rollups (window, variant, turns, units, resolution, p95) " + KafkaFixture.rollups(committed(config.get(ArbiterConfig.TOPIC_METRICS), WindowSummary.class), first, lastWindow)
        + ", uninterrupted " + KafkaFixture.rollups(committed(reference.get(ArbiterConfig.TOPIC_METRICS), WindowSummary.class), first, lastWindow);
  }

  private static long unitsEndingAfterTheCut(List<SpecificRecord> before, List<SpecificRecord> after) {
    Set<String> started = new HashSet<>();
    before.stream().filter(TurnEvent.class::isInstance).forEach(e -> started.add(Events.unitId(e)));
    return after.stream().filter(OutcomeEvent.class::isInstance).filter(e -> started.contains(Events.unitId(e))).count();
  }

  private static List<String> describe(List<ControlCommand> commands, SupportBotTraffic traffic) {
    return commands.stream().map(c -> c.getAction() + "/" + c.getRuleId() + "@" + (c.getWindowStart() == null ? "-"
        : String.valueOf((c.getWindowStart() - traffic.windowStart(0)) / 60_000))).toList();
  }

  private static boolean latencyRollup(RuleVerdict verdict) {
    return verdict.getRuleId().equals("latency") && verdict.getSegment().equals("*");
  }

  private static Set<String> ids(List<ControlCommand> commands) {
    Set<String> ids = new HashSet<>();
    commands.forEach(c -> ids.add(c.getCommandId()));
    return ids;
  }

  private static JobGraph graph(ArbiterConfig config, GraphHooks hooks) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    Endpoints ends = KafkaEndpoints.of(config, false);
    ArbiterJob.defineWorkflow(env, config, ends, hooks);
    return env.getStreamGraph().getJobGraph();
  }

  private static <T extends SpecificRecord> List<T> committed(String topic, Class<T> type) {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), topic), type);
  }

  /**
   * The newer build: a stage after the window aggregator that reports how late windows close, one
   * before the decisions sink that counts commands, each with its own uid; the aggregator no longer
   * chains with its sink, and the decisions sink joins the new stage's chain.
   */
  static final class NewerBuild implements GraphHooks {
    @Override
    public DataStream<WindowSummary> windows(SingleOutputStreamOperator<WindowSummary> windows) {
      windows.disableChaining();
      return windows.map(new WindowCloseLag()).returns(windows.getType()).uid("window-close-lag").name("window close lag");
    }

    @Override
    public DataStream<ControlCommand> commands(DataStream<ControlCommand> commands) {
      return commands.map(new CommandCount()).returns(commands.getType()).uid("decision-count").name("count decisions").startNewChain();
    }
  }

  /** Gauge of the processing-time delay between a window's end and its summary. */
  static final class WindowCloseLag extends RichMapFunction<WindowSummary, WindowSummary> {
    private transient volatile long lagMs;

    @Override
    public void open(OpenContext openContext) {
      getRuntimeContext().getMetricGroup().addGroup("arbiter").gauge("windowCloseLagMs", () -> lagMs);
    }

    @Override
    public WindowSummary map(WindowSummary summary) {
      lagMs = System.currentTimeMillis() - summary.getWindowEnd();
      return summary;
    }
  }

  /** Counter of the commands on their way to the decisions topic. */
  static final class CommandCount extends RichMapFunction<ControlCommand, ControlCommand> {
    private transient Counter commands;

    @Override
    public void open(OpenContext openContext) {
      commands = getRuntimeContext().getMetricGroup().addGroup("arbiter").counter("commandsToSink");
    }

    @Override
    public ControlCommand map(ControlCommand command) {
      commands.inc();
      return command;
    }
  }
}
