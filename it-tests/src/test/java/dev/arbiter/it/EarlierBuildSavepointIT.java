package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A savepoint written by an earlier build, kept in {@code src/test/resources/savepoints/}, restores
 * into this build with RocksDB and nothing left unclaimed, and the job carries on where that build
 * stopped: the latency streak completes, the sequential looks continue their numbering with the
 * counts of an uninterrupted run of this build, the open window keeps what it held, and outcomes
 * join units whose turns only the earlier build saw. Any change to a state class, a state name or
 * a uid that breaks restoring the savepoints of running jobs fails here.
 *
 * <p>The fixture is exactly-once, as jobs run by default: its sinks' state names transactions of
 * the broker that wrote it, which the fresh broker here does not know; the committers let them go
 * (as after a broker lost them) and the job carries on, which the checks below would notice if
 * it cost a command. To write a new one (after a deliberate
 * state change with a migration, say), run {@code mvn -pl it-tests verify -Dit.test=EarlierBuildSavepointIT
 * -Darbiter.write-savepoint=it-tests/src/test/resources/savepoints/<build>} and point {@link #FIXTURE} at it.
 */
class EarlierBuildSavepointIT {
  /** The savepoint and the build that wrote it. */
  static final String FIXTURE = "savepoints/2026-12-02-1a87611";

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  /** Fixed, so the fixture's event times, timers and windows are the test's. */
  private static final long DEFINITION_START = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();

  private EmbeddedKafka kafka;
  @TempDir
  Path checkpoints;
  @TempDir
  Path referenceCheckpoints;

  @AfterEach
  void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aSavepointOfAnEarlierBuildRestoresAndTheJobCarriesOnWhereItStopped() throws Exception {
    kafka = EmbeddedKafka.start();
    StreakAcrossTheCut input = new StreakAcrossTheCut(DEFINITION_START);
    ArbiterConfig config = config(kafka, checkpoints);
    ArbiterConfig reference = KafkaFixture.uninterrupted(config, referenceCheckpoints);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
      Topics.create(admin, reference, 2);
    }
    long window4 = input.traffic.windowStart(4);
    long lastWindow = input.traffic.windowStart(8);

    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      // This build, uninterrupted, over the whole input.
      input.runUninterrupted(producer, reference);
      List<ControlCommand> expected = committed(reference.get(ArbiterConfig.TOPIC_DECISIONS), ControlCommand.class).stream()
          .filter(c -> c.getWindowStart() != null && c.getWindowStart() >= window4).toList();

      // The same records the earlier build read, so the restored offsets point at the first record after the cut.
      input.register(producer, config);
      StreakAcrossTheCut.send(producer, config, input.before);
      StreakAcrossTheCut.send(producer, config, input.after);
      Configuration restored = ArbiterJob.flinkConfiguration(config);
      restored.set(StateRecoveryOptions.SAVEPOINT_PATH, fixture().toUri().toString());
      restored.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restored);
      ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, false));
      JobClient job = env.executeAsync("arbiter-from-an-earlier-savepoint");
      String metrics = config.get(ArbiterConfig.TOPIC_METRICS);
      List<ControlCommand> commands;
      try {
        commands = KafkaFixture.await(() -> committed(config.get(ArbiterConfig.TOPIC_DECISIONS), ControlCommand.class),
            seen -> ids(seen).containsAll(ids(expected)) && committed(metrics, RuleVerdict.class).stream()
                .anyMatch(v -> v.getRuleId().equals("latency") && v.getSegment().equals("*") && v.getWindowStart() == lastWindow), Duration.ofSeconds(120));
      } finally {
        job.cancel().get();
      }

      assertThat(committed(metrics, RuleVerdict.class)).as("nothing before the cut is judged again")
          .allSatisfy(v -> assertThat(v.getWindowStart()).isGreaterThanOrEqualTo(window4));
      assertThat(ids(commands)).as("commands from window 4 on, as the uninterrupted run's").doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(ids(expected));
      ControlCommand pause = commands.stream().filter(c -> c.getAction().equals("PAUSE_EXPOSURE")).findFirst().orElseThrow();
      assertThat(pause.getWindowStart()).as("the streak of two from the earlier build completed in window 4").isEqualTo(window4);
      assertThat(pause.getStreak()).isEqualTo(3);

      List<SequentialLook> looks = committed(metrics, SequentialLook.class);
      List<SequentialLook> expectedLooks = committed(reference.get(ArbiterConfig.TOPIC_METRICS), SequentialLook.class);
      assertThat(looks).isNotEmpty();
      int firstIndex = looks.get(0).getLookIndex();
      assertThat(firstIndex).as("the earlier build's looks are counted").isGreaterThan(1);
      assertThat(looks).extracting(SequentialLook::getLookIndex, SequentialLook::getWindowEnd, SequentialLook::getControlUnits,
              SequentialLook::getTreatmentUnits, SequentialLook::getControlSuccesses, SequentialLook::getTreatmentSuccesses)
          .containsExactlyElementsOf(expectedLooks.stream().filter(l -> l.getLookIndex() >= firstIndex)
              .map(l -> tuple(l.getLookIndex(), l.getWindowEnd(), l.getControlUnits(), l.getTreatmentUnits(),
                  l.getControlSuccesses(), l.getTreatmentSuccesses())).toList());
      // Window 4 was open in the earlier build: what it held and what came after add up to the uninterrupted window.
      assertThat(KafkaFixture.rollups(committed(metrics, WindowSummary.class), window4, lastWindow)).as("per-window turns, units and outcomes")
          .containsExactlyElementsOf(KafkaFixture.rollups(committed(reference.get(ArbiterConfig.TOPIC_METRICS), WindowSummary.class), window4, lastWindow));
      assertThat(committed(config.get(ArbiterConfig.TOPIC_DEAD_LETTERS), DeadLetter.class))
          .as("no outcome is without its turns, no event is late").isEmpty();
    }
  }

  /** Writes the fixture with this build; see the class comment. */
  @Test
  @EnabledIfSystemProperty(named = "arbiter.write-savepoint", matches = ".+")
  void writeTheFixture() throws Exception {
    Path target = Paths.get(System.getProperty("arbiter.write-savepoint")).toAbsolutePath();
    kafka = EmbeddedKafka.start();
    StreakAcrossTheCut input = new StreakAcrossTheCut(DEFINITION_START);
    ArbiterConfig config = config(kafka, checkpoints);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      input.register(producer, config);
      StreakAcrossTheCut.send(producer, config, input.before);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, false));
    JobClient job = env.executeAsync("arbiter-writes-a-fixture");
    String metrics = config.get(ArbiterConfig.TOPIC_METRICS);
    long window3 = input.traffic.windowStart(3);
    KafkaFixture.await(() -> committed(metrics, RuleVerdict.class),
        verdicts -> verdicts.stream().anyMatch(v -> v.getRuleId().equals("latency") && v.getSegment().equals("*") && v.getWindowStart() == window3), Duration.ofSeconds(120));
    Path written = Paths.get(java.net.URI.create(job.stopWithSavepoint(false, checkpoints.resolve("savepoints").toUri().toString(),
        SavepointFormatType.CANONICAL).get()));
    RuleVerdict standing = committed(metrics, RuleVerdict.class).stream()
        .filter(v -> v.getRuleId().equals("latency") && v.getSegment().equals("*") && v.getWindowStart() == window3).findFirst().orElseThrow();
    assertThat(standing.getStreak()).as("the fixture stands at two of three").isEqualTo(2);
    assertThat(committed(metrics, SequentialLook.class)).as("the fixture has taken looks").isNotEmpty();
    assertThat(committed(config.get(ArbiterConfig.TOPIC_DEAD_LETTERS), DeadLetter.class)).isEmpty();
    copy(written, target);
  }

  /** The job's options, the same for the build that writes the fixture and the one that restores it. */
  private static ArbiterConfig config(EmbeddedKafka kafka, Path checkpoints) {
    return KafkaFixture.jobConfig(kafka, checkpoints)
        .with(ArbiterConfig.JOIN_MAX_WAIT_MS, 60_000)
        .with(ArbiterConfig.IDLENESS_MS, 10_000)
        // The records are stamped when the test sends them, the events carry the fixture's fixed times.
        .with(ArbiterConfig.MAX_EVENT_TIME_SKEW_MS, 100L * 365 * 24 * 3_600_000)
        .validated();
  }

  private Path fixture() throws URISyntaxException {
    return Paths.get(Objects.requireNonNull(getClass().getClassLoader().getResource(FIXTURE + "/_metadata"),
        "no savepoint fixture at " + FIXTURE).toURI()).getParent();
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.sorted(Comparator.naturalOrder()).toList()) {
        Path copy = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(file, copy);
        }
      }
    }
  }

  private <T extends SpecificRecord> List<T> committed(String topic, Class<T> type) {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), topic), type);
  }

  private static List<String> ids(List<ControlCommand> commands) {
    return commands.stream().map(ControlCommand::getCommandId).toList();
  }

}
