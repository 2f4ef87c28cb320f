package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
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
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Looks survive a restart: the job takes the first look, is stopped with a savepoint, and a new
 * job started from it takes the remaining looks, each exactly once and in order, on a real broker.
 */
class SequentialRestartIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static EmbeddedKafka kafka;

  @TempDir
  static Path checkpoints;
  @TempDir
  static Path savepoints;

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void noLookIsTakenTwiceOrSkippedAcrossARestart() throws Exception {
    kafka = EmbeddedKafka.start();
    // Idle after 10 s, not 2: under load a partition that starts late would be taken for idle and
    // its turns dropped as late, and too few units would reach the first look. The judge topic is
    // empty here, so it must still become idle for event time to advance.
    ArbiterConfig config = KafkaFixture.jobConfig(kafka, checkpoints).with(ArbiterConfig.IDLENESS_MS, 10_000);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    long start = System.currentTimeMillis() - 60 * 60_000;
    ExperimentDefinition base = RunningExample.definition(start);
    ExperimentDefinition definition = ExperimentDefinition.newBuilder(base).setGuardrails(List.of())
        .setPrimary(PrimaryMetricDesign.newBuilder(base.getPrimary()).setPlannedUnitsPerArm(300).build()).build();
    SupportBotTraffic traffic = new SupportBotTraffic(definition, 21, 10, w -> 170, List.of());
    long cut = traffic.windowStart(3);
    List<SpecificRecord> before = new ArrayList<>();
    List<SpecificRecord> after = new ArrayList<>();
    while (traffic.hasNext()) {
      SpecificRecord event = traffic.next();
      (Events.eventTime(event) < cut ? before : after).add(event);
    }
    String metrics = config.get(ArbiterConfig.TOPIC_METRICS);

    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      KafkaFixture.send(producer, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      send(producer, config, before);

      StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
      ArbiterJob.defineWorkflow(first, config, KafkaEndpoints.of(config, false));
      JobClient firstJob = first.executeAsync("arbiter-before-restart");
      List<SequentialLook> seen = awaitLooks(metrics, looks -> looks.stream().anyMatch(l -> l.getLookIndex() == 1));
      String savepoint = firstJob.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
      int looksBeforeRestart = seen.size();

      send(producer, config, after);
      Configuration restored = ArbiterJob.flinkConfiguration(config);
      restored.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      StreamExecutionEnvironment second = StreamExecutionEnvironment.getExecutionEnvironment(restored);
      ArbiterJob.defineWorkflow(second, config, KafkaEndpoints.of(config, false));
      JobClient secondJob = second.executeAsync("arbiter-after-restart");
      List<SequentialLook> looks = awaitLooks(metrics, all -> all.stream().anyMatch(l -> !l.getOutcome().equals("CONTINUE")));
      secondJob.cancel().get();

      assertThat(looksBeforeRestart).isBetween(1, 3);
      assertThat(looks).extracting(SequentialLook::getLookIndex)
          .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, looks.size()).boxed().toList());
      assertThat(looks).extracting(SequentialLook::getInformationFraction).isSorted();
      assertThat(looks.size()).isGreaterThan(looksBeforeRestart);
      List<ControlCommand> commands = KafkaFixture.decodeAll(
          KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DECISIONS)));
      assertThat(commands).extracting(ControlCommand::getAction).containsOnlyOnce(looks.get(looks.size() - 1).getOutcome());
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, ArbiterConfig config, List<SpecificRecord> events) {
    for (SpecificRecord event : events) {
      String topic = event instanceof JudgeScoreEvent ? config.get(ArbiterConfig.TOPIC_JUDGE_SCORES)
          : event instanceof OutcomeEvent ? config.get(ArbiterConfig.TOPIC_OUTCOMES) : config.get(ArbiterConfig.TOPIC_TURNS);
      producer.send(new ProducerRecord<>(topic, Events.unitId(event).getBytes(), WireFormat.encode(event)));
    }
    producer.flush();
  }

  /** Follows the committed looks (read_committed, as a dashboard would) until the condition holds. */
  private static List<SequentialLook> awaitLooks(String topic, Predicate<List<SequentialLook>> done) {
    java.util.Properties props = new java.util.Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    List<SequentialLook> looks = new ArrayList<>();
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props)) {
      List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // A deadline, not a wait: on a loaded 2-core machine the first look once took longer than 120 s.
      long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
      while (!done.test(looks)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("condition not reached within 300 s; looks so far: " + looks);
        }
        // poll blocks until committed records arrive or the timeout passes.
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          if (WireFormat.decode(record.value()).record() instanceof SequentialLook look) {
            looks.add(look);
          }
        }
        looks.sort(java.util.Comparator.comparingInt(SequentialLook::getLookIndex));
      }
    }
    return looks;
  }
}
