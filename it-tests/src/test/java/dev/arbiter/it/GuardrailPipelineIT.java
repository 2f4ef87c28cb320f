package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation end to end on real parts: a KRaft broker in this JVM, the job on a Flink
 * MiniCluster with RocksDB and exactly-once Kafka sinks, Avro events in, committed commands out.
 */
class GuardrailPipelineIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static EmbeddedKafka kafka;
  static ArbiterConfig config;
  static SupportBotTraffic clock;

  @TempDir
  static Path checkpoints;

  @BeforeAll
  static void runJobOverTheRunningExample() throws Exception {
    kafka = EmbeddedKafka.start();
    config = KafkaFixture.jobConfig(kafka, checkpoints);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    // Recent event times: the job rejects event times far from the Kafka record timestamp.
    long start = System.currentTimeMillis() - 30 * 60_000;
    ExperimentDefinition definition = RunningExample.definition(start);
    SupportBotTraffic traffic = new SupportBotTraffic(definition, 7, 9, window -> 120,
        List.of(new dev.arbiter.job.simulate.Effect.LatencySpike("treatment", 4, 7, 2.0, null)));
    clock = new SupportBotTraffic(definition, 0, 0, w -> 0, List.of());
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      KafkaFixture.send(producer, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      String turns = config.get(ArbiterConfig.TOPIC_TURNS);
      int sent = 0;
      while (traffic.hasNext()) {
        SpecificRecord event = traffic.next();
        if (event instanceof dev.arbiter.avro.TurnEvent turn) {
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(turns, turn.getUnitId().getBytes(), WireFormat.encode(turn)));
          if (++sent == 300) {
            KafkaFixture.send(producer, turns, "bad-1", "{\"not\":\"avro\"}".getBytes());
            byte[] whole = WireFormat.encode(turn);
            KafkaFixture.send(producer, turns, "bad-2", Arrays.copyOf(whole, whole.length / 2));
          }
        } else {
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(turns, WireFormat.encode(event)));
        }
      }
      producer.flush();
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true));
    env.execute("arbiter-it");
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void committedCommandsAreExactlyAlertThenPause() {
    List<ControlCommand> commands = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DECISIONS)));
    assertThat(commands)
        .extracting(ControlCommand::getAction, ControlCommand::getWindowStart, ControlCommand::getSegment, ControlCommand::getRuleId)
        .containsExactly(
            tuple("ALERT", clock.windowStart(4), "*", "latency"),
            tuple("PAUSE_EXPOSURE", clock.windowStart(5), "*", "latency"));
    assertThat(commands).extracting(ControlCommand::getCommandId).doesNotHaveDuplicates();
  }

  @Test
  void everyClosedWindowIsPublishedOnce() {
    List<WindowSummary> windows = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_METRICS)), WindowSummary.class);
    List<WindowSummary> treatmentRollup = windows.stream()
        .filter(w -> w.getVariantId().equals("treatment") && w.getSegment().equals("*")).toList();
    assertThat(treatmentRollup).extracting(WindowSummary::getWindowStart).doesNotHaveDuplicates();
    assertThat(treatmentRollup).hasSizeGreaterThanOrEqualTo(9);
    assertThat(windows).anyMatch(w -> w.getSegment().equals("device=mobile"));
    assertThat(treatmentRollup.stream().filter(w -> w.getWindowStart() == clock.windowStart(4)).findFirst().orElseThrow()
        .getMetrics().get("latency_p95_ms")).isGreaterThan(3000.0);
  }

  @Test
  void everyRuleVerdictIsPublishedBesideTheWindows() {
    List<dev.arbiter.avro.RuleVerdict> verdicts = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_METRICS)), dev.arbiter.avro.RuleVerdict.class);
    assertThat(verdicts).filteredOn(v -> v.getRuleId().equals("latency") && v.getWindowStart() == clock.windowStart(4))
        .singleElement().satisfies(v -> {
          assertThat(v.getVerdict()).isEqualTo("BREACH");
          assertThat(v.getStreak()).isEqualTo(1);
        });
    // The errors rule needs 1,000 turns a window; at this traffic every window with turns says so
    // (windows after the traffic hold only units' final values, and no turns at all).
    assertThat(verdicts).filteredOn(v -> v.getRuleId().equals("errors"))
        .isNotEmpty().allSatisfy(v -> assertThat(v.getReason()).isIn("below_min_samples", "no_data"))
        .anySatisfy(v -> assertThat(v.getReason()).isEqualTo("below_min_samples"));
  }

  @Test
  void undecodableRecordsAreDeadLetteredWithTheirSourceOffsets() {
    List<DeadLetter> deadLetters = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DEAD_LETTERS)));
    assertThat(deadLetters).extracting(DeadLetter::getReason)
        .containsExactlyInAnyOrder("not_single_object_avro", "truncated");
    assertThat(deadLetters).allSatisfy(d -> {
      assertThat(d.getSourceTopic()).isEqualTo("llm.turns");
      assertThat(d.getSourceOffset()).isGreaterThanOrEqualTo(0);
      assertThat(d.getRaw().remaining()).isGreaterThan(0);
    });
  }
}
