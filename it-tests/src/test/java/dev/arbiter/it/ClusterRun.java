package dev.arbiter.it;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.local.FlinkRest;
import dev.arbiter.job.local.StandaloneCluster;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * One run of the job on a standalone cluster with its own topics, consumer group and
 * transactional ids, so that several runs (a fault-free one and a faulty one) share a broker and
 * a cluster without seeing each other.
 */
final class ClusterRun {
  final String name;
  final String bootstrap;
  final ArbiterConfig config;
  final Map<String, String> settings = new LinkedHashMap<>();
  String jobId;

  ClusterRun(String name, String bootstrap, Map<String, String> overrides) {
    this.name = name;
    this.bootstrap = bootstrap;
    settings.put(ArbiterConfig.BOOTSTRAP_SERVERS.key(), bootstrap);
    for (ArbiterConfig.Setting topic : List.of(ArbiterConfig.TOPIC_TURNS, ArbiterConfig.TOPIC_OUTCOMES, ArbiterConfig.TOPIC_JUDGE_SCORES,
        ArbiterConfig.TOPIC_EXPERIMENTS, ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DECISIONS, ArbiterConfig.TOPIC_DEAD_LETTERS)) {
      settings.put(topic.key(), name + "." + topic.defaultValue());
    }
    settings.put(ArbiterConfig.GROUP_ID.key(), "arbiter-" + name);
    settings.put(ArbiterConfig.TRANSACTIONAL_ID_PREFIX.key(), "arbiter-" + name);
    settings.put(ArbiterConfig.CHECKPOINT_INTERVAL_MS.key(), "1000");
    settings.putAll(overrides);
    this.config = new ArbiterConfig(settings).validated();
  }

  /** The job module's build output, next to this module. */
  static Path jobTarget() {
    return Path.of(System.getProperty("user.dir")).toAbsolutePath().resolveSibling("job").resolve("target");
  }

  String topic(ArbiterConfig.Setting setting) {
    return config.get(setting);
  }

  void createTopics() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Topics.create(admin, config, 2);
    }
  }

  /** Submits the uploaded job jar with this run's settings and waits until all its tasks run. */
  String submit(FlinkRest rest, String jarId) {
    List<String> args = new ArrayList<>();
    settings.forEach((key, value) -> {
      args.add("--" + key);
      args.add(value);
    });
    jobId = rest.runJar(jarId, ArbiterJob.class.getName(), 2, args);
    StandaloneCluster.await(name + " job's tasks to run", Duration.ofMinutes(3), () -> rest.allTasksRunning(jobId));
    return jobId;
  }

  /** Each event to its input topic, keyed by unit so that both partitions carry every type. */
  ProducerRecord<byte[], byte[]> record(SpecificRecord event) {
    String topic = event instanceof OutcomeEvent ? topic(ArbiterConfig.TOPIC_OUTCOMES)
        : event instanceof JudgeScoreEvent ? topic(ArbiterConfig.TOPIC_JUDGE_SCORES) : topic(ArbiterConfig.TOPIC_TURNS);
    return new ProducerRecord<>(topic, Events.unitId(event).getBytes(), WireFormat.encode(event));
  }

  void send(KafkaProducer<byte[], byte[]> producer, List<SpecificRecord> events) {
    for (SpecificRecord event : events) {
      producer.send(record(event));
    }
    producer.flush();
  }

  List<ControlCommand> committedCommands() {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(bootstrap, topic(ArbiterConfig.TOPIC_DECISIONS)));
  }

  List<DeadLetter> committedDeadLetters() {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(bootstrap, topic(ArbiterConfig.TOPIC_DEAD_LETTERS)));
  }
}
