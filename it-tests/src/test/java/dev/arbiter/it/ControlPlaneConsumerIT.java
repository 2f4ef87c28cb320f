package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.example.ControlPlaneConsumer;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.wire.WireFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example control plane on a real broker: each command is applied once even when it is
 * delivered twice, an aborted transaction's command is never applied, and dry runs are only logged.
 */
class ControlPlaneConsumerIT {
  static EmbeddedKafka kafka;
  static String topic;

  @BeforeAll
  static void publishCommands() throws Exception {
    kafka = EmbeddedKafka.start();
    ArbiterConfig config = ArbiterConfig.defaults().with(ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    topic = config.get(ArbiterConfig.TOPIC_DECISIONS);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "control-plane-it");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      // As the job writes them: committed with a checkpoint; the pause is delivered twice, as a replay would.
      commit(producer, command("id-alert", "ALERT", false), command("id-pause", "PAUSE_EXPOSURE", false));
      commit(producer, command("id-pause", "PAUSE_EXPOSURE", false), command("id-dry", "ROLLBACK", true));
      producer.beginTransaction();
      send(producer, command("id-aborted", "ROLLBACK", false));
      producer.flush();
      producer.abortTransaction();
      commit(producer, command("id-stop", "STOP_EFFICACY", false));
    }
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  static final class RecordingPlane implements ControlPlaneConsumer.ControlPlane {
    final List<String> applied = new ArrayList<>();
    final List<String> dryRuns = new ArrayList<>();

    @Override
    public void apply(ControlCommand command) {
      applied.add(command.getAction() + " " + command.getCommandId());
    }

    @Override
    public void dryRun(ControlCommand command) {
      dryRuns.add(command.getCommandId());
    }
  }

  @Test
  void eachCommittedCommandIsAppliedOnceEvenWhenDeliveredTwice() {
    RecordingPlane plane = new RecordingPlane();
    ControlPlaneConsumer.AppliedCommands store = ControlPlaneConsumer.inMemory(10_000);
    try (ControlPlaneConsumer consumer = new ControlPlaneConsumer(kafka.bootstrapServers(), "control-plane-a", topic, plane, store)) {
      drain(consumer, () -> plane.applied.size() >= 3 && consumer.duplicates() >= 1);
      assertThat(plane.applied).containsExactlyInAnyOrder("ALERT id-alert", "PAUSE_EXPOSURE id-pause", "STOP_EFFICACY id-stop");
      assertThat(consumer.duplicates()).isEqualTo(1);
      assertThat(plane.dryRuns).containsExactly("id-dry");
    }
    // A second instance that reads everything again (a lost offset commit, a new deployment) applies nothing twice.
    RecordingPlane again = new RecordingPlane();
    try (ControlPlaneConsumer consumer = new ControlPlaneConsumer(kafka.bootstrapServers(), "control-plane-b", topic, again, store)) {
      drain(consumer, () -> consumer.duplicates() >= 4);
      assertThat(again.applied).isEmpty();
      assertThat(consumer.duplicates()).isEqualTo(4);
    }
  }

  /** Polls until {@code done}; every command shares one key and so one partition, so the last one seen means all were. */
  private static void drain(ControlPlaneConsumer consumer, java.util.function.BooleanSupplier done) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("commands arrived in time").isLessThan(deadline);
      consumer.pollOnce(Duration.ofMillis(200));
    }
  }

  private static void commit(KafkaProducer<byte[], byte[]> producer, ControlCommand... commands) {
    producer.beginTransaction();
    for (ControlCommand command : commands) {
      send(producer, command);
    }
    producer.commitTransaction();
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, ControlCommand command) {
    producer.send(new ProducerRecord<>(topic, command.getExperimentId().getBytes(), WireFormat.encode(command)));
  }

  private static ControlCommand command(String id, String action, boolean dryRun) {
    return ControlCommand.newBuilder().setCommandId(id).setExperimentId("support-bot-prompt-v2").setDefinitionVersion(1)
        .setVariantId("treatment").setSegment("*").setAction(action).setDryRun(dryRun).setEventTime(System.currentTimeMillis())
        .build();
  }
}
