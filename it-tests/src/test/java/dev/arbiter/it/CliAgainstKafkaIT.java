package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.cli.ArbiterCli;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `arbiter register` and `arbiter decisions` against a real broker. */
class CliAgainstKafkaIT {
  static EmbeddedKafka kafka;
  static ArbiterConfig config;

  @TempDir
  static Path dir;

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    CommandLine cli = ArbiterCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    config = ArbiterConfig.defaults().with(ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void registerValidatesFillsTheBoundariesAndPublishes() throws Exception {
    Path file = dir.resolve("support-bot.json");
    Files.writeString(file, JsonForm.JSON.writeValueAsString(JsonForm.toJson(RunningExample.definition(1_763_800_020_000L))));
    Run run = cli("register", "--bootstrap-servers", kafka.bootstrapServers(), file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("registered: support-bot-prompt-v2 v1").contains("0.25 (z 4.3326)");
    List<ExperimentDefinition> registered = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_EXPERIMENTS)));
    assertThat(registered).singleElement().satisfies(d ->
        assertThat(d.getPrimary().getLooks()).extracting(LookSpec::getCriticalZ).doesNotContainNull());

    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "experiment_id: e\nversion: 1\ncontrol_variant: a\nvariants: [{id: a, share: 0.7}, {id: b, share: 0.7}]\n"
        + "assignment_salt: s\nstart_time: 1\nwindow_ms: 60000\n");
    Run rejected = cli("register", "--bootstrap-servers", kafka.bootstrapServers(), bad.toString());
    assertThat(rejected.exit()).isEqualTo(ArbiterCli.USER_ERROR);
    assertThat(rejected.err().lines()).singleElement().asString().contains("shares must sum to 1");
    assertThat(KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_EXPERIMENTS))).hasSize(1);
  }

  @Test
  void decisionsPrintsCommittedCommandsOnceEach() throws Exception {
    String topic = config.get(ArbiterConfig.TOPIC_DECISIONS);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cli-it");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "e".getBytes(), WireFormat.encode(command("c-1", "ALERT"))));
      producer.send(new ProducerRecord<>(topic, "e".getBytes(), WireFormat.encode(command("c-2", "PAUSE_EXPOSURE"))));
      // The same decision again, as a replay would write it.
      producer.send(new ProducerRecord<>(topic, "e".getBytes(), WireFormat.encode(command("c-2", "PAUSE_EXPOSURE"))));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "e".getBytes(), WireFormat.encode(command("c-3", "ROLLBACK"))));
      producer.flush();
      producer.abortTransaction();
    }
    Run run = cli("decisions", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out().lines().toList()).hasSize(2)
        .anySatisfy(line -> assertThat(line).startsWith("ALERT").contains("[c-1]"))
        .anySatisfy(line -> assertThat(line).startsWith("PAUSE_EXPOSURE").contains("[c-2]"));
    assertThat(run.out()).doesNotContain("ROLLBACK");
  }

  static ControlCommand command(String id, String action) {
    return ControlCommand.newBuilder().setCommandId(id).setExperimentId("e").setDefinitionVersion(1).setVariantId("treatment")
        .setSegment("*").setAction(action).setRuleId("latency").setWindowStart(60_000L).setEventTime(120_000L)
        .setReason("test").build();
  }
}
