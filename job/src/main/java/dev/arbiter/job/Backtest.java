package dev.arbiter.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.sinks.JsonLinesFileSink;
import dev.arbiter.wire.JsonForm;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A backtest: the production job graph between file ends. Definitions are read whole before event
 * time moves (see {@link RegistryWatermarks#untilFullyRead()}), so the same files always give the
 * same decisions, in event-time order.
 */
public final class Backtest {

  /** What a backtest produced. */
  public record Result(long inputLines, int definitions, Map<String, Integer> commandsByAction,
      Map<String, Integer> deadLettersByReason, Path out, Path deadLetters) {

    public String summary() {
      int commands = commandsByAction.values().stream().mapToInt(Integer::intValue).sum();
      int dead = deadLettersByReason.values().stream().mapToInt(Integer::intValue).sum();
      return "backtest: " + inputLines + " input lines, " + definitions + " definition(s), "
          + commands + " command(s) " + commandsByAction + ", " + dead + " dead letter(s) " + deadLettersByReason
          + " -> " + out + ", " + deadLetters;
    }
  }

  private static final Comparator<JsonNode> EVENT_TIME_ORDER = Comparator
      .comparingLong((JsonNode n) -> n.path("event_time").asLong())
      .thenComparing(n -> n.path("experiment_id").asText())
      .thenComparingLong(n -> n.path("window_start").asLong())
      .thenComparing(n -> n.path("rule_id").asText())
      .thenComparing(n -> n.path("variant_id").asText())
      .thenComparing(n -> n.path("segment").asText())
      .thenComparing(n -> n.path("action").asText());

  private static final Comparator<JsonNode> SOURCE_ORDER = Comparator
      .comparing((JsonNode n) -> n.path("source_topic").asText())
      .thenComparingLong(n -> n.path("source_offset").asLong())
      .thenComparing(n -> n.path("reason").asText());

  private static final Comparator<JsonNode> WINDOW_ORDER = Comparator
      .comparingLong((JsonNode n) -> n.path("window_start").asLong())
      .thenComparing(n -> n.path("experiment_id").asText())
      .thenComparing(n -> n.path("variant_id").asText())
      .thenComparing(n -> n.path("segment").asText())
      .thenComparing(n -> n.path("rule_id").asText())
      .thenComparingInt(n -> n.path("severity").asInt());

  private final Path definitions;
  private final Path events;
  private final Path out;
  private final Path deadLetters;
  private final Path metrics;
  private final int parallelism;
  private final long outOfOrdernessMs;

  public Backtest(Path definitions, Path events, Path out, Path deadLetters, Path metrics, int parallelism, long outOfOrdernessMs) {
    this.definitions = definitions;
    this.events = events;
    this.out = out;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.parallelism = parallelism;
    this.outOfOrdernessMs = outOfOrdernessMs;
  }

  public static Path defaultDeadLetters(Path out) {
    String name = out.getFileName().toString().replaceFirst("\\.jsonl?$", "");
    return out.resolveSibling(name + ".dead-letters.jsonl");
  }

  public Result run() throws Exception {
    List<ExperimentDefinition> loaded = DefinitionFiles.load(definitions);
    Path work = Files.createTempDirectory("arbiter-backtest");
    try {
      Path registryFile = work.resolve("definitions.jsonl");
      try (BufferedWriter writer = Files.newBufferedWriter(registryFile, StandardCharsets.UTF_8)) {
        for (ExperimentDefinition definition : loaded) {
          writer.write(JsonForm.JSON.writeValueAsString(JsonForm.toJson(definition)));
          writer.newLine();
        }
      }
      ArbiterConfig config = ArbiterConfig.defaults()
          .with(ArbiterConfig.OUT_OF_ORDERNESS_MS, outOfOrdernessMs)
          .with(ArbiterConfig.STATE_BACKEND, "hashmap")
          .validated();
      IngestDecoder decoder = new IngestDecoder(config.getLong(ArbiterConfig.MAX_EVENT_TIME_SKEW_MS));
      Path commandsPrefix = work.resolve("commands");
      Path deadPrefix = work.resolve("dead-letters");
      Path metricsPrefix = work.resolve("metrics");
      Endpoints ends = new Endpoints(
          FileSource.forRecordStreamFormat(
              new JsonLinesFormat(JsonLinesFormat.Content.EVENTS, events.getFileName().toString(), decoder),
              new org.apache.flink.core.fs.Path(events.toAbsolutePath().toUri())).build(),
          FileSource.forRecordStreamFormat(
              new JsonLinesFormat(JsonLinesFormat.Content.DEFINITIONS, definitions.getFileName().toString(), decoder),
              new org.apache.flink.core.fs.Path(registryFile.toUri())).build(),
          RegistryWatermarks.untilFullyRead(),
          new JsonLinesFileSink<ControlCommand>(commandsPrefix),
          new JsonLinesFileSink<WindowSummary>(metricsPrefix),
          new JsonLinesFileSink<RuleVerdict>(work.resolve("metrics-verdicts")),
          new JsonLinesFileSink<SequentialLook>(work.resolve("metrics-looks")),
          new JsonLinesFileSink<DeadLetter>(deadPrefix));

      Configuration flink = new Configuration();
      flink.set(PipelineOptions.GENERIC_TYPES, false);
      flink.set(StateBackendOptions.STATE_BACKEND, "hashmap");
      flink.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
      ArbiterJob.defineWorkflow(env, config, ends);
      env.execute("arbiter backtest");

      List<JsonNode> commands = merge(commandsPrefix, EVENT_TIME_ORDER, out);
      List<JsonNode> dead = merge(deadPrefix, SOURCE_ORDER, deadLetters);
      // Window summaries and rule verdicts share the metrics output, as they share the metrics topic.
      List<JsonNode> windows = merge(List.of(metricsPrefix, work.resolve("metrics-verdicts"), work.resolve("metrics-looks")),
          WINDOW_ORDER, metrics);
      return new Result(countLines(events), loaded.size(), countBy(commands, "action"), countBy(dead, "reason"), out, deadLetters);
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Merges the sink's part files into one ordered file; returns the records. */
  private static List<JsonNode> merge(Path prefix, Comparator<JsonNode> order, Path target) throws IOException {
    return merge(List.of(prefix), order, target);
  }

  private static List<JsonNode> merge(List<Path> prefixes, Comparator<JsonNode> order, Path target) throws IOException {
    List<JsonNode> records = new ArrayList<>();
    for (Path prefix : prefixes) {
      String partPrefix = prefix.getFileName() + ".part-";
      try (Stream<Path> parts = Files.list(prefix.getParent())) {
        for (Path part : parts.filter(p -> p.getFileName().toString().startsWith(partPrefix)).toList()) {
          for (String line : Files.readAllLines(part, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
              records.add(JsonForm.JSON.readTree(line));
            }
          }
        }
      }
    }
    records.sort(order);
    if (target != null) {
      if (target.toAbsolutePath().getParent() != null) {
        Files.createDirectories(target.toAbsolutePath().getParent());
      }
      try (BufferedWriter writer = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
        for (JsonNode record : records) {
          writer.write(JsonForm.JSON.writeValueAsString(record));
          writer.newLine();
        }
      }
    }
    return records;
  }

  private static Map<String, Integer> countBy(List<JsonNode> records, String field) {
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode record : records) {
      counts.merge(record.path(field).asText(), 1, Integer::sum);
    }
    return counts;
  }

  private static long countLines(Path file) throws IOException {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(
        file.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file),
        StandardCharsets.UTF_8))) {
      return reader.lines().filter(line -> !line.isBlank()).count();
    }
  }
}
