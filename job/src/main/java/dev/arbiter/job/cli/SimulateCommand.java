package dev.arbiter.job.cli;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.JsonLines;
import dev.arbiter.job.simulate.LoadGenerator;
import dev.arbiter.job.simulate.Pacer;
import dev.arbiter.job.simulate.ScenarioFiles;
import dev.arbiter.job.simulate.Scenarios;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load generator: a scenario's support-bot traffic (lognormal latencies, rare unsafe answers,
 * conversations of one to four turns, late outcomes, asynchronous judge scores) with its injected
 * effects, paced at a target event rate, to Kafka (after registering the scenario's definition)
 * or to a JSON Lines file for {@code backtest}.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Produce realistic support-bot traffic with a scenario's injected effects at a target rate, to Kafka",
        "(registering the scenario's definition first) or to a JSON Lines file for backtest."})
public final class SimulateCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (or use --output).")
  String bootstrapServers;

  @Option(names = "--output", paramLabel = "FILE.jsonl",
      description = "Write JSON Lines events for backtest instead of Kafka, and the definition beside them (*.definition.json).")
  Path output;

  @Option(names = "--rate", defaultValue = "200", description = "Events per second of wall-clock time. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--duration", defaultValue = "60s", converter = DemoCommand.DurationConverter.class,
      description = "How long to produce (e.g. 90s, 10m, 2h). Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(names = "--scenario", defaultValue = "noise", paramLabel = "NAME|FILE",
      description = "A named scenario (${COMPLETION-CANDIDATES}) or a scenario file (JSON or YAML). Default: ${DEFAULT-VALUE}.",
      completionCandidates = ScenarioNames.class)
  String scenario;

  @Option(names = "--speedup", defaultValue = "1", description = "Seconds of event time per second of wall-clock time. Default: ${DEFAULT-VALUE}.")
  int speedup;

  @Option(names = "--seed", defaultValue = "2026", description = "Seed of the traffic. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--late-outcomes", defaultValue = "0.05", paramLabel = "SHARE",
      description = "Share of outcomes delivered late (out of event-time order). Default: ${DEFAULT-VALUE}.")
  double lateOutcomes;

  @Option(names = "--outcome-delay", defaultValue = "20s", converter = DemoCommand.DurationConverter.class,
      description = "How much event time a late outcome arrives after its own. Default: ${DEFAULT-VALUE}.")
  Duration outcomeDelay;

  @Option(names = "--no-pacing", description = "Produce as fast as possible (for files); the event-time span is still duration x speedup.")
  boolean unpaced;

  @Option(names = "--progress", negatable = true,
      description = "Show a progress bar with the achieved rate on stderr. Default: only when the console is a terminal.")
  Boolean progress;

  @Option(names = "--topic.turns", paramLabel = "TOPIC", description = "Default: the job's default.")
  String turnsTopic = ArbiterConfig.TOPIC_TURNS.defaultValue();

  @Option(names = "--topic.outcomes", paramLabel = "TOPIC", description = "Default: the job's default.")
  String outcomesTopic = ArbiterConfig.TOPIC_OUTCOMES.defaultValue();

  @Option(names = "--topic.judge-scores", paramLabel = "TOPIC", description = "Default: the job's default.")
  String judgeTopic = ArbiterConfig.TOPIC_JUDGE_SCORES.defaultValue();

  @Option(names = "--topic.experiments", paramLabel = "TOPIC", description = "Registry topic. Default: the job's default.")
  String registryTopic = ArbiterConfig.TOPIC_EXPERIMENTS.defaultValue();

  /** The named scenarios, for --help. */
  static final class ScenarioNames extends java.util.ArrayList<String> {
    ScenarioNames() {
      super(Scenarios.NAMES);
    }
  }

  @Override
  public Integer call() throws Exception {
    if ((bootstrapServers == null) == (output == null)) {
      throw new IllegalArgumentException("give exactly one of --bootstrap-servers (Kafka) and --output (a JSON Lines file)");
    }
    if (!(rate > 0) || rate > 1_000_000) {
      throw new IllegalArgumentException("--rate must be above 0 and at most 1000000 events per second, got " + rate);
    }
    if (duration.toMillis() < 1000 || duration.toDays() > 30) {
      throw new IllegalArgumentException("--duration must be between 1s and 30 days, got " + duration.toSeconds() + "s");
    }
    if (speedup < 1 || speedup > 3600) {
      throw new IllegalArgumentException("--speedup must be between 1 and 3600, got " + speedup);
    }
    if (lateOutcomes < 0 || lateOutcomes > 1) {
      throw new IllegalArgumentException("--late-outcomes must be between 0 and 1, got " + lateOutcomes);
    }
    Scenarios.Scenario chosen = scenario();
    LoadGenerator generator = new LoadGenerator(chosen, new LoadGenerator.Settings(rate, duration.toMillis(), speedup, seed,
        lateOutcomes, outcomeDelay.toMillis(), !unpaced), Pacer.Clock.SYSTEM);
    PrintWriter out = spec.commandLine().getOut();
    boolean showProgress = progress != null ? progress : System.console() != null;
    ProgressBar bar = showProgress ? new ProgressBar(spec.commandLine().getErr(), unpaced ? 0 : duration.toMillis() / 1000.0, rate) : null;
    LoadGenerator.Result result;
    String target;
    if (output != null) {
      Path definitionFile = definitionFile(output);
      try (BufferedWriter writer = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
        result = generator.run(System.currentTimeMillis(), new LoadGenerator.Sink() {
          @Override
          public void registry(ExperimentDefinition definition) throws Exception {
            Files.writeString(definitionFile, JsonForm.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JsonForm.toJson(definition)));
          }

          @Override
          public void event(SpecificRecord event) throws Exception {
            writer.write(JsonLines.of(event));
            writer.newLine();
          }
        }, bar);
      }
      target = output + " (definition " + definitionFile + ")";
    } else {
      result = toKafka(generator, bar);
      target = "Kafka " + bootstrapServers + " (" + turnsTopic + ", " + outcomesTopic + ", " + judgeTopic + "; registered on " + registryTopic + ")";
    }
    if (bar != null) {
      bar.finish();
    }
    out.printf("simulated %s (%s): %,d events in %.1f s (%,.0f/s), %d windows of %d conversations, %,d late outcomes -> %s%n",
        chosen.name(), chosen.description(), result.events(), result.seconds(), result.rate(), result.windows(),
        result.conversationsPerWindow(), result.lateOutcomes(), target);
    out.flush();
    return 0;
  }

  private Scenarios.Scenario scenario() {
    if (Scenarios.NAMES.contains(scenario)) {
      return Scenarios.named(scenario, System.currentTimeMillis());
    }
    Path file = Path.of(scenario);
    if (Files.isRegularFile(file)) {
      return ScenarioFiles.load(file);
    }
    throw new IllegalArgumentException("--scenario '" + scenario + "' is neither a named scenario " + Scenarios.NAMES + " nor a file");
  }

  static Path definitionFile(Path output) {
    String name = output.getFileName().toString().replaceFirst("\\.jsonl(\\.gz)?$|\\.json$", "");
    return output.toAbsolutePath().resolveSibling(name + ".definition.json");
  }

  private LoadGenerator.Result toKafka(LoadGenerator generator, ProgressBar bar) throws Exception {
    var props = KafkaClients.producer(bootstrapServers);
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      LoadGenerator.Result result = generator.run(System.currentTimeMillis(), new LoadGenerator.Sink() {
        @Override
        public void registry(ExperimentDefinition definition) throws Exception {
          producer.send(new ProducerRecord<>(registryTopic, definition.getExperimentId().getBytes(StandardCharsets.UTF_8),
              WireFormat.encode(definition))).get(60, TimeUnit.SECONDS);
        }

        @Override
        public void event(SpecificRecord event) throws Exception {
          if (failure.get() != null) {
            throw failure.get();
          }
          String topic = event instanceof OutcomeEvent ? outcomesTopic : event instanceof JudgeScoreEvent ? judgeTopic : turnsTopic;
          // Keyed by unit, so all of a unit's events keep their order on one partition.
          producer.send(new ProducerRecord<>(topic, null, Events.eventTime(event), Events.unitId(event).getBytes(StandardCharsets.UTF_8),
              WireFormat.encode(event)), (metadata, e) -> {
                if (e != null) {
                  failure.compareAndSet(null, e);
                }
              });
        }
      }, bar);
      producer.flush();
      if (failure.get() != null) {
        throw failure.get();
      }
      return result;
    }
  }

  /** One line on stderr, redrawn in place: a bar of elapsed time, events, achieved and target rate. */
  static final class ProgressBar implements LoadGenerator.Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final double totalSeconds;
    private final double target;

    ProgressBar(PrintWriter err, double totalSeconds, double target) {
      this.err = err;
      this.totalSeconds = totalSeconds;
      this.target = target;
    }

    @Override
    public void update(long events, double elapsedSeconds) {
      err.print("\r" + line(events, elapsedSeconds));
      err.flush();
    }

    String line(long events, double elapsedSeconds) {
      double done = totalSeconds > 0 ? Math.min(1, elapsedSeconds / totalSeconds) : 0;
      int filled = (int) Math.round(done * WIDTH);
      double achieved = elapsedSeconds > 0 ? events / elapsedSeconds : 0;
      return String.format("[%s%s] %3.0f%% %,d events, %,.0f/s (target %,.0f/s) ", "#".repeat(filled), "-".repeat(WIDTH - filled),
          done * 100, events, achieved, target);
    }

    void finish() {
      err.println();
      err.flush();
    }
  }
}
