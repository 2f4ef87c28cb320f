package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.cli.ArbiterCli;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Arbiter's Flink metrics on a real run: `arbiter simulate` puts a scenario's traffic on a real
 * broker, the job reads it on a local Flink cluster with an in-memory metric reporter, and every counter
 * in the "arbiter" group equals what the job wrote to its output topics. The names are checked in
 * the form the Prometheus reporter exports, against the Grafana dashboard of docker/flink-cluster.
 */
class MetricsIT {
  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();
  static final String EXPERIMENT = "support-bot-mobile-safety";

  static EmbeddedKafka kafka;
  static ArbiterConfig config;
  static String simulateOutput;
  /** Counter values by Prometheus name and label (e.g. "..._arbiter_reason_deadLetters{reason=truncated}"), summed over subtasks. */
  static Map<String, Long> counters;

  @TempDir
  static Path checkpoints;

  @BeforeAll
  static void simulateThenRunTheJob() throws Exception {
    kafka = EmbeddedKafka.start();
    config = KafkaFixture.jobConfig(kafka, checkpoints);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    // Twelve 60 s windows of the mobile safety regression, produced as fast as the broker takes them,
    // all on the turns topic: the job reads its input bounded here, and a topic read to its end stops
    // holding the watermark back, which would make the not yet read events of another topic late.
    CommandLine cli = ArbiterCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("simulate", "--bootstrap-servers", kafka.bootstrapServers(), "--scenario", "mobile-safety",
        "--rate", "20", "--duration", "12m", "--no-pacing", "--seed", "11",
        "--topic.outcomes", config.get(ArbiterConfig.TOPIC_TURNS), "--topic.judge-scores", config.get(ArbiterConfig.TOPIC_TURNS));
    assertThat(exit).as(err.toString()).isZero();
    simulateOutput = out.toString();

    String turns = config.get(ArbiterConfig.TOPIC_TURNS);
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      KafkaFixture.send(producer, turns, "bad-1", "{\"not\":\"avro\"}".getBytes());
      KafkaFixture.send(producer, turns, "conv-x", WireFormat.encode(TurnEvent.newBuilder().setExperimentId(EXPERIMENT)
          .setVariantId("treatment-b").setUnitId("conv-x").setRequestId("req-x").setEventTime(System.currentTimeMillis() - 600_000)
          .setLatencyMs(900).build()));
    }

    // A local cluster of its own, started with the in-memory reporter.
    Configuration flink = REPORTER.addToConfiguration(ArbiterJob.flinkConfiguration(config));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(flink);
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true));
    JobClient job = env.executeAsync("arbiter-metrics-it");
    job.getJobExecutionResult().get();
    counters = arbiterCounters();
    assertThat(counters).as("counters of the arbiter groups").isNotEmpty();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  static final String PREFIX = "flink_taskmanager_job_task_operator_arbiter_";

  @Test
  void simulateRegisteredTheScenarioAndProducedToEveryInputTopic() {
    assertThat(simulateOutput).contains("simulated mobile-safety").contains("registered on experiments");
    long produced = Long.parseLong(Pattern.compile("([\\d,]+) events in").matcher(simulateOutput).results().findFirst()
        .orElseThrow().group(1).replace(",", ""));
    long inInputs = 0;
    for (String topic : config.inputTopics()) {
      inInputs += KafkaFixture.readCommitted(kafka.bootstrapServers(), topic).size();
    }
    assertThat(inInputs).isEqualTo(produced + 2);
    assertThat(counters.get(PREFIX + "eventsIn")).isEqualTo(inInputs);
  }

  @Test
  void deadLettersByReasonEqualTheDeadLetterTopic() {
    Map<String, Long> published = KafkaFixture.<DeadLetter>decodeAll(
            KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DEAD_LETTERS))).stream()
        .collect(Collectors.groupingBy(DeadLetter::getReason, TreeMap::new, Collectors.counting()));
    assertThat(published).containsKeys("not_single_object_avro", "unknown_variant");
    assertThat(labelled("reason_deadLetters", "reason")).isEqualTo(published);
  }

  @Test
  void commandsByActionEqualTheDecisionsTopic() {
    Map<String, Long> published = KafkaFixture.<ControlCommand>decodeAll(
            KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DECISIONS))).stream()
        .collect(Collectors.groupingBy(ControlCommand::getAction, TreeMap::new, Collectors.counting()));
    assertThat(published).containsKeys("ALERT", "ROLLBACK");
    assertThat(labelled("action_commands", "action")).isEqualTo(published);
  }

  @Test
  void windowsClosedAndLateEventsEqualTheWindowSummaries() {
    List<WindowSummary> windows = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_METRICS)), WindowSummary.class);
    assertThat(windows).hasSizeGreaterThan(12 * 2 * 3);
    assertThat(counters.get(PREFIX + "windowsClosed")).isEqualTo(windows.size());
    long lateInWindows = windows.stream().filter(w -> w.getSegment().equals("*")).mapToLong(WindowSummary::getLateEvents).sum();
    long lateDeadLettered = labelled("reason_deadLetters", "reason").getOrDefault("late_event", 0L);
    assertThat(labelled("handling_lateEvents", "handling").getOrDefault("in_window", 0L)).isEqualTo(lateInWindows);
    assertThat(labelled("handling_lateEvents", "handling").getOrDefault("dead_lettered", 0L)).isEqualTo(lateDeadLettered);
  }

  @Test
  void unitsPerExperimentEqualTheDistinctUnitsServed() {
    Set<String> units = new HashSet<>();
    for (var record : KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_TURNS))) {
      if (WireFormat.decode(record.value()).record() instanceof TurnEvent turn && !turn.getVariantId().equals("treatment-b")) {
        units.add(turn.getUnitId());
      }
    }
    assertThat(units).hasSizeGreaterThan(12 * 300);
    assertThat(labelled("experiment_units", "experiment")).containsExactly(Map.entry(EXPERIMENT, (long) units.size()));
  }

  @Test
  void everyArbiterMetricOfTheGrafanaDashboardExists() throws Exception {
    JsonNode dashboard = JsonForm.JSON.readTree(Path.of("..", "docker", "flink-cluster", "grafana", "dashboards", "arbiter.json").toFile());
    Set<String> queried = new TreeSet<>();
    for (JsonNode expr : dashboard.findValues("expr")) {
      Matcher m = Pattern.compile(PREFIX + "[A-Za-z_]+").matcher(expr.asText());
      while (m.find()) {
        queried.add(m.group());
      }
    }
    Set<String> exported = counters.keySet().stream().map(k -> k.replaceFirst("\\{.*", "")).collect(Collectors.toSet());
    assertThat(queried).hasSizeGreaterThanOrEqualTo(6);
    assertThat(exported).containsAll(queried);
  }

  /** The counters of one labelled metric by label value. */
  static Map<String, Long> labelled(String name, String label) {
    Map<String, Long> values = new TreeMap<>();
    Pattern key = Pattern.compile(Pattern.quote(PREFIX + name) + "\\{" + label + "=(.*)}");
    counters.forEach((k, v) -> {
      Matcher m = key.matcher(k);
      if (m.matches()) {
        values.merge(m.group(1), v, Long::sum);
      }
    });
    return values;
  }

  /**
   * Every counter of the "arbiter" groups (this class's cluster runs one job), named as the
   * Prometheus reporter names it (flink_ + logical scope + name, key-value groups as labels),
   * summed over subtasks.
   */
  static Map<String, Long> arbiterCounters() {
    Map<String, Long> values = new TreeMap<>();
    for (Map.Entry<MetricGroup, Map<String, Metric>> group : REPORTER.getMetricsByGroup().entrySet()) {
      Map<String, String> variables = group.getKey().getAllVariables();
      String scope = ((AbstractMetricGroup<?>) group.getKey()).getLogicalScope(CharacterFilter.NO_OP_FILTER, '_');
      if (!scope.startsWith("taskmanager_job_task_operator_arbiter")) {
        continue;
      }
      String labels = variables.entrySet().stream()
          .filter(v -> Set.of("<reason>", "<action>", "<handling>", "<experiment>", "<outcome>").contains(v.getKey()))
          .map(v -> v.getKey().replaceAll("[<>]", "") + "=" + v.getValue()).sorted().collect(Collectors.joining(","));
      for (Map.Entry<String, Metric> metric : group.getValue().entrySet()) {
        if (metric.getValue() instanceof Counter counter) {
          String name = "flink_" + scope + "_" + metric.getKey() + (labels.isEmpty() ? "" : "{" + labels + "}");
          values.merge(name, counter.getCount(), Long::sum);
        }
      }
    }
    return values;
  }
}
