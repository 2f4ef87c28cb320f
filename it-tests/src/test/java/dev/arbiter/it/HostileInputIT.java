package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Scenarios;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus ({@link HostileCorpus}) interleaved with valid traffic, on a real KRaft
 * broker and the job on a Flink MiniCluster with RocksDB and exactly-once sinks. The same valid
 * traffic also runs alone, as a second job on its own topics, as the reference. The job runs with
 * no restart strategy, so any failure would fail it instead of being retried away. Some valid
 * turns are written in the older schema TurnEvent v1, in both runs: they must decode and count.
 */
class HostileInputIT {
  static final long SEED = 11;
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
  /** Every this many records of the valid traffic, a turn is written in the older schema TurnEvent v1. */
  static final int OLDER_SCHEMA_EVERY = 97;

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
      .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

  @TempDir
  static Path checkpoints;

  static EmbeddedKafka kafka;
  static ArbiterConfig reference;
  static ArbiterConfig hostile;
  static JobExecutionResult referenceRun;
  static JobExecutionResult hostileRun;
  static boolean attempted;
  static long validTurns;
  /** Each corpus entry with where it was written. */
  static final List<Sent> sent = new ArrayList<>();

  record Sent(HostileCorpus.Entry entry, String topic, int partition, long offset) {}

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  /**
   * Runs both jobs once, from the first test: only inside a test does the extension's MiniCluster
   * (the one with the metric reporter) serve getExecutionEnvironment().
   */
  static synchronized void runTheValidTrafficAloneAndWithTheCorpus() throws Exception {
    if (hostileRun != null) {
      return;
    }
    if (attempted) {
      throw new IllegalStateException("the jobs failed in an earlier test; see its failure");
    }
    attempted = true;
    reference = config("reference.", "reference");
    hostile = config("", "hostile");
    long began = System.nanoTime();
    // The judge-drop scenario's experiment and rule, shortened to 7 windows: the drop from window 3 on
    // gives an ALERT and then a PAUSE_EXPOSURE. Recent event times: the job rejects event times far
    // from the Kafka record timestamp.
    Scenarios.Scenario scenario = Scenarios.named("judge-drop", System.currentTimeMillis() - 30 * 60_000);
    List<SpecificRecord> traffic = new ArrayList<>();
    new SupportBotTraffic(scenario.definition(), SEED, 7, w -> 170, List.of(new Effect.JudgeDrop("treatment", 3, 7, -1.0)), 1.0, 120_000)
        .forEachRemaining(traffic::add);
    validTurns = traffic.stream().filter(TurnEvent.class::isInstance).count();
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, reference, 2);
      Topics.create(admin, hostile, 2);
      // Room for the 10 MiB record on the hostile input topics.
      Map<ConfigResource, java.util.Collection<AlterConfigOp>> larger = new HashMap<>();
      for (String topic : List.of(hostile.get(ArbiterConfig.TOPIC_TURNS), hostile.get(ArbiterConfig.TOPIC_OUTCOMES),
          hostile.get(ArbiterConfig.TOPIC_JUDGE_SCORES), hostile.get(ArbiterConfig.TOPIC_EXPERIMENTS))) {
        larger.put(new ConfigResource(ConfigResource.Type.TOPIC, topic),
            List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES)), AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(larger).all().get();
    }
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      produce(producer, reference, scenario.definition(), traffic, List.of());
    }
    long produced = System.nanoTime();
    referenceRun = run(reference, "arbiter-reference");
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      produce(producer, hostile, scenario.definition(), traffic, HostileCorpus.entries());
    }
    hostileRun = run(hostile, "arbiter-hostile");
    System.out.printf("HostileInputIT: %d valid records, %d bad; set-up and first produce %d s, reference job %d s, hostile job %d s%n",
        traffic.size(), sent.size(), (produced - began) / 1_000_000_000, referenceRun.getNetRuntime() / 1000, hostileRun.getNetRuntime() / 1000);
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void theCorpusHoldsAtLeast25KindsOfBadRecord() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    assertThat(sent).extracting(s -> s.entry().kind()).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(25);
    assertThat(sent.stream().map(s -> s.entry().reason()).distinct().count()).isGreaterThanOrEqualTo(15);
  }

  @Test
  void theJobNeverRestarts() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    // Without a restart strategy a failure fails the job, and execute() would have thrown.
    assertThat(hostileRun.getNetRuntime()).isPositive();
    Map<String, Metric> metrics = metricsOf("arbiter-hostile");
    List<Long> restarts = metrics.entrySet().stream().filter(e -> e.getKey().endsWith(".numRestarts"))
        .map(e -> ((Number) ((Gauge<?>) e.getValue()).getValue()).longValue()).toList();
    assertThat(restarts).as("numRestarts among %d metrics of the job", metrics.size()).isNotEmpty().containsOnly(0L);
  }

  @Test
  void everyBadRecordIsDeadLetteredWithItsReasonAndSourceOffset() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    assertThat(deadLetters(reference)).as("the valid traffic alone has no dead letters").isEmpty();
    List<DeadLetter> letters = deadLetters(hostile);
    Map<String, List<DeadLetter>> bySource = letters.stream()
        .collect(Collectors.groupingBy(d -> d.getSourceTopic() + "/" + d.getSourcePartition() + "@" + d.getSourceOffset()));
    SoftAssertions softly = new SoftAssertions();
    for (Sent s : sent) {
      List<DeadLetter> found = bySource.getOrDefault(s.topic() + "/" + s.partition() + "@" + s.offset(), List.of());
      softly.assertThat(found).as(s.entry().kind() + " at " + s.topic() + "/" + s.partition() + "@" + s.offset()).hasSize(1);
      if (found.size() == 1) {
        softly.assertThat(found.get(0).getReason()).as(s.entry().kind()).isEqualTo(s.entry().reason());
        softly.assertThat(found.get(0).getDetail()).as(s.entry().kind()).contains(s.entry().detail());
        softly.assertThat(found.get(0).getRaw().remaining()).as(s.entry().kind() + " raw bytes").isLessThanOrEqualTo(64 * 1024);
      }
    }
    // No more: none of the valid traffic, including its turns written in TurnEvent v1, is refused.
    softly.assertThat(letters).as("dead letters, one per bad record and no more").hasSize(sent.size());
    softly.assertAll();
  }

  @Test
  void deadLetterCountersMatchTheDeadLetterTopic() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    Map<String, Long> onTopic = new TreeMap<>(deadLetters(hostile).stream()
        .collect(Collectors.groupingBy(DeadLetter::getReason, Collectors.counting())));
    Map<String, Long> expected = new TreeMap<>(sent.stream()
        .collect(Collectors.groupingBy(s -> s.entry().reason(), Collectors.counting())));
    Map<String, Long> counted = new TreeMap<>();
    // Counters labelled by reason live in the key-value group "reason" (see Counters).
    REPORTER.getMetricsByGroup().forEach((group, metrics) -> {
      Map<String, String> variables = group.getAllVariables();
      if ("arbiter-hostile".equals(variables.get("<job_name>")) && variables.containsKey("<reason>")
          && metrics.get("deadLetters") instanceof Counter counter && counter.getCount() > 0) {
        counted.merge(variables.get("<reason>"), counter.getCount(), Long::sum);
      }
    });
    assertThat(counted).isEqualTo(onTopic).isEqualTo(expected);
  }

  @Test
  void theValidTrafficsCommandsAreIdenticalToARunWithoutTheCorpus() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    List<ControlCommand> alone = commands(reference);
    List<ControlCommand> withCorpus = commands(hostile);
    assertThat(alone).extracting(ControlCommand::getAction).contains("PAUSE_EXPOSURE");
    assertThat(withCorpus).extracting(ControlCommand::getCommandId).doesNotHaveDuplicates();
    Set<String> expected = alone.stream().map(ControlCommand::getCommandId).collect(Collectors.toSet());
    Set<String> actual = withCorpus.stream().filter(c -> !c.getAction().equals("REGISTRATION_REJECTED"))
        .map(ControlCommand::getCommandId).collect(Collectors.toSet());
    assertThat(actual).isEqualTo(expected);
    // Every invalid definition is also answered on the decisions topic, and nothing else is.
    assertThat(withCorpus).filteredOn(c -> c.getAction().equals("REGISTRATION_REJECTED"))
        .hasSize((int) sent.stream().filter(s -> s.entry().reason().equals("invalid_definition")).count());
  }

  /** The metrics of one job by identifier; the reporter keeps them after the job has finished. */
  private static Map<String, Metric> metricsOf(String jobName) {
    Map<String, Metric> found = new TreeMap<>();
    REPORTER.getMetricsByGroup().forEach((group, metrics) -> {
      if (jobName.equals(group.getAllVariables().get("<job_name>"))) {
        metrics.forEach((name, metric) -> found.put(group.getMetricIdentifier(name), metric));
      }
    });
    return found;
  }

  @Test
  void everyValidTurnCountsOnceAndTheWindowsEqualThoseOfTheRunWithoutTheCorpus() throws Exception {
    runTheValidTrafficAloneAndWithTheCorpus();
    List<WindowSummary> alone = windows(reference);
    List<WindowSummary> withCorpus = windows(hostile);
    // The rollup of every variant holds each valid turn once: v1 turns counted, no repeat or bad record counted.
    assertThat(withCorpus.stream().filter(w -> w.getSegment().equals("*")).mapToLong(WindowSummary::getTurns).sum())
        .isEqualTo(validTurns);
    assertThat(withCorpus).extracting(HostileInputIT::content).containsExactlyInAnyOrderElementsOf(
        alone.stream().map(HostileInputIT::content).toList());
  }

  /** What a window summary says, without where it was written. */
  private static String content(WindowSummary window) {
    return window.getVariantId() + "|" + window.getSegment() + "|" + window.getWindowStart() + "|" + window.getTurns() + "|"
        + window.getUnits() + "|" + window.getNewUnits() + "|" + new TreeMap<>(window.getMetrics());
  }

  private static List<WindowSummary> windows(ArbiterConfig config) {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_METRICS)),
        WindowSummary.class);
  }

  private static ArbiterConfig config(String prefix, String name) {
    return KafkaFixture.jobConfig(kafka, checkpoints.resolve(name))
        .with(ArbiterConfig.TOPIC_TURNS, prefix + "llm.turns")
        .with(ArbiterConfig.TOPIC_OUTCOMES, prefix + "llm.outcomes")
        .with(ArbiterConfig.TOPIC_JUDGE_SCORES, prefix + "llm.judge-scores")
        .with(ArbiterConfig.TOPIC_EXPERIMENTS, prefix + "experiments")
        .with(ArbiterConfig.TOPIC_METRICS, prefix + "experiments.metrics")
        .with(ArbiterConfig.TOPIC_DECISIONS, prefix + "experiments.decisions")
        .with(ArbiterConfig.TOPIC_DEAD_LETTERS, prefix + "llm.dead-letters")
        .with(ArbiterConfig.GROUP_ID, "arbiter-" + name)
        .with(ArbiterConfig.TRANSACTIONAL_ID_PREFIX, "arbiter-" + name)
        // Every input partition holds data, so none needs to be declared idle; a short idleness on a
        // busy machine would let a partition whose first fetch is slow fall behind the watermark.
        .with(ArbiterConfig.IDLENESS_MS, 60_000)
        .validated();
  }

  private static JobExecutionResult run(ArbiterConfig config, String name) throws Exception {
    Configuration flink = ArbiterJob.flinkConfiguration(config);
    flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true));
    return env.execute(name);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
    return new KafkaProducer<>(props);
  }

  /**
   * Writes the definition and the traffic, each record keyed by its unit so the two runs place it
   * in the same partition; corpus entries are spread over the middle of the traffic, after every
   * kind of valid record has been sent once, so each can build on the valid records before it.
   */
  private static void produce(KafkaProducer<byte[], byte[]> producer, ArbiterConfig config, ExperimentDefinition definition,
      List<SpecificRecord> traffic, List<HostileCorpus.Entry> corpus) throws Exception {
    KafkaFixture.send(producer, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
    int first = traffic.size() / 4;
    int every = corpus.isEmpty() ? 0 : Math.max(1, (traffic.size() * 2 / 3) / corpus.size());
    TurnEvent lastTurn = null;
    OutcomeEvent lastOutcome = null;
    JudgeScoreEvent lastJudge = null;
    int next = 0;
    for (int i = 0; i < traffic.size(); i++) {
      SpecificRecord event = traffic.get(i);
      String topic = event instanceof JudgeScoreEvent ? config.get(ArbiterConfig.TOPIC_JUDGE_SCORES)
          : event instanceof OutcomeEvent ? config.get(ArbiterConfig.TOPIC_OUTCOMES) : config.get(ArbiterConfig.TOPIC_TURNS);
      String key = event instanceof TurnEvent t ? t.getUnitId() : event instanceof OutcomeEvent o ? o.getUnitId()
          : ((JudgeScoreEvent) event).getUnitId();
      // Some producers are still on TurnEvent v1: those turns are valid traffic and must count, in both runs.
      boolean olderProducer = event instanceof TurnEvent && i % OLDER_SCHEMA_EVERY == 0;
      byte[] value = olderProducer ? HostileCorpus.olderSchema((TurnEvent) event) : WireFormat.encode(event);
      producer.send(new ProducerRecord<>(topic, key.getBytes(), value));
      if (event instanceof TurnEvent t) {
        lastTurn = t;
      } else if (event instanceof OutcomeEvent o) {
        lastOutcome = o;
      } else {
        lastJudge = (JudgeScoreEvent) event;
      }
      if (next < corpus.size() && i >= first && (i - first) % every == 0) {
        if (lastTurn == null || lastOutcome == null || lastJudge == null) {
          throw new IllegalStateException("the corpus needs a turn, an outcome and a judge score sent before it");
        }
        HostileCorpus.Entry entry = corpus.get(next++);
        HostileCorpus.Context context = new HostileCorpus.Context(definition, lastTurn, lastOutcome, lastJudge, Events.eventTime(event));
        HostileCorpus.Record record = entry.make().apply(context);
        String target = switch (entry.topic()) {
          case TURNS -> config.get(ArbiterConfig.TOPIC_TURNS);
          case OUTCOMES -> config.get(ArbiterConfig.TOPIC_OUTCOMES);
          case JUDGE_SCORES -> config.get(ArbiterConfig.TOPIC_JUDGE_SCORES);
          case EXPERIMENTS -> config.get(ArbiterConfig.TOPIC_EXPERIMENTS);
        };
        RecordMetadata written = producer.send(new ProducerRecord<>(target, record.key() == null ? null : record.key().getBytes(),
            record.value())).get();
        sent.add(new Sent(entry, target, written.partition(), written.offset()));
      }
    }
    producer.flush();
    if (next < corpus.size()) {
      throw new IllegalStateException("only " + next + " of " + corpus.size() + " corpus entries were placed in the traffic");
    }
  }

  private static List<DeadLetter> deadLetters(ArbiterConfig config) {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DEAD_LETTERS)));
  }

  private static List<ControlCommand> commands(ArbiterConfig config) {
    return KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DECISIONS)));
  }
}
