package dev.arbiter.job.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Segments;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.cli.KafkaClients;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.Pacer;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Decision latency under load: Arbiter (RocksDB) runs unbounded while bench-like traffic (many
 * experiments, thousands of window keys) is appended at a fraction of the measured capacity, with
 * event time keeping pace with the clock so windows close in real time. Every fifth experiment's
 * treatment is twice as slow in scripted windows, which breaches the latency rule (ALERT, then
 * PAUSE_EXPOSURE). For each scripted command, read by a read_committed consumer, two latencies:
 * from the broker's append of the window's last event (the input topic stamps records with
 * LogAppendTime; Arbiter reads event time from the payload), and from the append that first let
 * the watermark pass the window's close, which leaves out the configured event-time wait.
 */
public final class DecisionLatencyBench {

  /**
   * Short windows, so a run of a minute or two closes several of them; 7 s, a divisor of no usual
   * checkpoint interval (5 s, 10 s), so that window closes fall at every phase of the checkpoint
   * cycle and exactly-once latencies sample the whole wait for the commit.
   */
  static final long WINDOW_MS = 7_000;
  static final long ALLOWED_LATENESS_MS = 5_000;
  /** Windows before the first appended one: long enough that no conversation still open at the start lacks its beginning. */
  static final int LEAD_WINDOWS = 7;
  /** Every AFFECTED_EVERY-th experiment gets latency spikes. */
  static final int AFFECTED_EVERY = 5;
  static final String LATENCY_RULE = "latency";
  /**
   * Conversations per experiment and window at least: about 75 treatment turns, above the latency
   * rule's 50 minimum samples. At a low rate fewer experiments run, so every window can decide.
   */
  static final int MIN_CONVERSATIONS = 60;

  public record Settings(List<Double> fractions, double capacity, int seconds, int experiments, int partitions,
      int parallelism, long checkpointIntervalMs, long seed) {}

  /** One run's figures. */
  record Row(String delivery, double fraction, int experiments, double targetRate, double achievedRate, int scripted, int measured,
      int otherCommands, LatencyLedger.Spread sinceLastEvent, LatencyLedger.Spread sinceWatermarkReady, long lagAtLastAppend) {}

  private final Settings settings;
  private final EmbeddedKafka kafka;
  private final MiniCluster cluster;
  private final Path scratch;
  private final PrintWriter out;

  public DecisionLatencyBench(Settings settings, EmbeddedKafka kafka, MiniCluster cluster, Path scratch, PrintWriter out) {
    this.settings = settings;
    this.kafka = kafka;
    this.cluster = cluster;
    this.scratch = scratch;
    this.out = out;
  }

  /** Experiments a run at {@code rate} events/s can fill with {@link #MIN_CONVERSATIONS} per window, at most {@code wanted}. */
  static int experimentsAt(double rate, int wanted) {
    int fit = (int) (rate * WINDOW_MS / 1000.0 / (BenchTraffic.EVENTS_PER_CONVERSATION * MIN_CONVERSATIONS));
    return Math.max(AFFECTED_EVERY, Math.min(wanted, fit));
  }

  /** The definition every experiment of the run copies: the running example with short windows. */
  static ExperimentDefinition definition(long startTime) {
    return ExperimentDefinition.newBuilder(RunningExample.definition(startTime))
        .setWindowMs(WINDOW_MS).setAllowedLatenessMs(ALLOWED_LATENESS_MS).build();
  }

  /**
   * The scripted latency spikes of experiment {@code experiment}: two windows of twice the latency
   * (ALERT, then PAUSE_EXPOSURE) and one clean window, repeated from {@code firstWindow}, each
   * affected experiment at its own phase so that every window holds breaches.
   */
  static List<Effect> effects(int experiment, int firstWindow, int windows) {
    List<Effect> effects = new ArrayList<>();
    if (experiment % AFFECTED_EVERY != 0) {
      return effects;
    }
    for (int from = firstWindow + (experiment / AFFECTED_EVERY) % 3; from < windows; from += 3) {
      effects.add(new Effect.LatencySpike(RunningExample.TREATMENT, from, Math.min(from + 2, windows), 2.0, null));
    }
    return effects;
  }

  public void run() throws Exception {
    say("");
    say("Decision latency: Arbiter (RocksDB) unbounded, up to %,d experiments (at least %d conversations each per window), "
        + "every %dth with scripted latency spikes; capacity %,.0f events/s; %d s of traffic per run", settings.experiments(),
        MIN_CONVERSATIONS, AFFECTED_EVERY, settings.capacity(), settings.seconds());
    ArbiterConfig defaults = ArbiterConfig.defaults();
    say("Settings that bound it: window %,d ms, allowed lateness %,d ms, watermark out-of-orderness %s ms, idleness %s ms, "
        + "checkpoint interval %,d ms (exactly-once commands become readable when the checkpoint after them completes)",
        WINDOW_MS, ALLOWED_LATENESS_MS, defaults.get(ArbiterConfig.OUT_OF_ORDERNESS_MS), defaults.get(ArbiterConfig.IDLENESS_MS),
        settings.checkpointIntervalMs());
    List<Row> rows = new ArrayList<>();
    for (double fraction : settings.fractions()) {
      for (String delivery : List.of("exactly-once", "at-least-once")) {
        rows.add(measure(fraction, delivery));
      }
    }
    say("");
    say("| delivery | load | experiments | target events/s | achieved events/s | scripted breaches | measured | other commands "
        + "| since last event of the window p50 / p95 / max (ms) | since the watermark could pass the close p50 / p95 / max (ms) "
        + "| committed lag at last append (events) |");
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Row r : rows) {
      say("| %s | %.0f%% | %,d | %,.0f | %,.0f | %d | %d | %d | %s | %s | %,d |", r.delivery(), r.fraction() * 100, r.experiments(),
          r.targetRate(), r.achievedRate(), r.scripted(), r.measured(), r.otherCommands(), r.sinceLastEvent().describe(),
          r.sinceWatermarkReady().describe(), r.lagAtLastAppend());
    }
  }

  private Row measure(double fraction, String delivery) throws Exception {
    String tag = String.format("lat-%s-%d", delivery.equals("exactly-once") ? "eo" : "alo", Math.round(fraction * 100));
    double rate = fraction * settings.capacity();
    say("%s: %s at %.0f%% of capacity, %,.0f events/s ...", tag, delivery, fraction * 100, rate);
    String prefix = "bench." + tag;
    ArbiterConfig config = ArbiterConfig.defaults()
        .with(ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .with(ArbiterConfig.TOPIC_TURNS, prefix + ".turns")
        .with(ArbiterConfig.TOPIC_OUTCOMES, "")
        .with(ArbiterConfig.TOPIC_JUDGE_SCORES, "")
        .with(ArbiterConfig.TOPIC_EXPERIMENTS, prefix + ".experiments")
        .with(ArbiterConfig.TOPIC_METRICS, prefix + ".metrics")
        .with(ArbiterConfig.TOPIC_DECISIONS, prefix + ".decisions")
        .with(ArbiterConfig.TOPIC_DEAD_LETTERS, prefix + ".dead-letters")
        .with(ArbiterConfig.GROUP_ID, "bench-" + tag)
        .with(ArbiterConfig.TRANSACTIONAL_ID_PREFIX, "bench-" + tag)
        .with(ArbiterConfig.STARTING_OFFSETS, "earliest")
        .with(ArbiterConfig.STATE_BACKEND, "rocksdb")
        .with(ArbiterConfig.DELIVERY, delivery)
        .with(ArbiterConfig.CHECKPOINT_INTERVAL_MS, settings.checkpointIntervalMs())
        .with(ArbiterConfig.CHECKPOINT_DIR, scratch.resolve(tag).toUri().toString())
        .with(ArbiterConfig.PARALLELISM, settings.parallelism())
        .validated();
    String input = config.get(ArbiterConfig.TOPIC_TURNS);
    createTopics(config);

    // Events start at a window boundary, LEAD_WINDOWS after the definitions' start; earlier events are generated
    // (so conversations already open are complete) but not appended.
    long firstStart = System.currentTimeMillis() / WINDOW_MS * WINDOW_MS;
    int windows = LEAD_WINDOWS + (int) (settings.seconds() * 1000L / WINDOW_MS) + 2;
    int experiments = experimentsAt(rate, settings.experiments());
    int conversations = (int) Math.max(1, Math.round(rate * WINDOW_MS / 1000.0
        / (experiments * BenchTraffic.EVENTS_PER_CONVERSATION)));
    // The first appended window is clean: it also absorbs the job's warm-up.
    BenchTraffic traffic = new BenchTraffic(definition(firstStart - LEAD_WINDOWS * WINDOW_MS), experiments, windows,
        conversations, i -> effects(i, LEAD_WINDOWS + 1, windows), settings.seed());
    LatencyLedger ledger = new LatencyLedger(WINDOW_MS, ALLOWED_LATENESS_MS, config.getLong(ArbiterConfig.OUT_OF_ORDERNESS_MS),
        settings.partitions());

    Properties props = KafkaClients.producer(kafka.bootstrapServers());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(128 * 1024));
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    AtomicLong failedSends = new AtomicLong();
    long events = 0;
    long lastEventTime = Long.MIN_VALUE;
    double seconds;
    long lag;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        CommandWatcher watcher = new CommandWatcher(config.get(ArbiterConfig.TOPIC_DECISIONS))) {
      for (ExperimentDefinition d : traffic.definitions()) {
        producer.send(new ProducerRecord<>(config.get(ArbiterConfig.TOPIC_EXPERIMENTS),
            d.getExperimentId().getBytes(StandardCharsets.UTF_8), WireFormat.encode(d)));
      }
      producer.flush();
      JobID job = submit(config, tag);
      try {
        awaitRunning(job);
        SpecificRecord event = traffic.next();
        while (Events.eventTime(event) < firstStart) {
          event = traffic.next();
        }
        // A second's worth of burst: after a stall (a loaded machine, a pause) the producer catches up, as a real source's backlog would.
        Pacer pacer = new Pacer(rate, (int) Math.max(1, rate), Pacer.Clock.SYSTEM);
        long wallStart = System.currentTimeMillis();
        long deadline = wallStart + settings.seconds() * 1000L;
        while (System.currentTimeMillis() < deadline) {
          long eventTime = Events.eventTime(event);
          // Event time keeps pace with the clock (shifted by the generation lead), and the pacer caps the rate.
          long ahead = wallStart + (eventTime - firstStart) - System.currentTimeMillis();
          if (ahead > 0) {
            Thread.sleep(ahead);
          }
          pacer.acquire();
          String experiment = experimentOf(event);
          producer.send(new ProducerRecord<>(input, Events.unitId(event).getBytes(StandardCharsets.UTF_8), WireFormat.encode(event)),
              (metadata, e) -> {
                if (e != null) {
                  failedSends.incrementAndGet();
                } else {
                  ledger.appended(experiment, eventTime, metadata.partition(), metadata.timestamp());
                }
              });
          events++;
          lastEventTime = eventTime;
          if (!traffic.hasNext()) {
            break;
          }
          event = traffic.next();
        }
        producer.flush();
        seconds = (System.currentTimeMillis() - wallStart) / 1000.0;
        lag = committedLag(config.get(ArbiterConfig.GROUP_ID), input);

        Set<LatencyLedger.WindowKey> scripted = scripted(traffic.definitions().size(), windows, firstStart, ledger);
        watcher.awaitAll(scripted, 30_000 + 3 * settings.checkpointIntervalMs());
        watcher.check();
        if (!watcher.sawAll(scripted)) {
          explainShortfall(job, tag, watcher, scripted, firstStart, lastEventTime, config.get(ArbiterConfig.TOPIC_METRICS));
        }
        JobStatus status = cluster.getJobStatus(job).get();
        if (status != JobStatus.RUNNING) {
          throw new IllegalStateException("job " + tag + " is " + status + ", not running, at the end of its latency run");
        }
        List<Long> sinceLast = new ArrayList<>();
        List<Long> sinceReady = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (CommandWatcher.Seen seen : watcher.seen()) {
          ControlCommand c = seen.command();
          LatencyLedger.WindowKey key = new LatencyLedger.WindowKey(c.getExperimentId(), c.getWindowStart() == null ? -1 : c.getWindowStart());
          if (!scripted.contains(key) || !LATENCY_RULE.equals(c.getRuleId())) {
            others.add(c.getAction() + " " + c.getExperimentId() + (c.getRuleId() == null ? "" : " rule " + c.getRuleId()));
            continue;
          }
          LatencyLedger.Latency latency = ledger.latency(key.experimentId(), key.windowStart(), seen.readableAtMs()).orElseThrow();
          sinceLast.add(latency.sinceLastEventMs());
          latency.sinceWatermarkReadyMs().ifPresent(sinceReady::add);
        }
        if (!others.isEmpty()) {
          say("  %s: commands not scripted (noise, sequential looks): %s", tag,
              others.size() > 5 ? others.subList(0, 5) + " and " + (others.size() - 5) + " more" : others);
        }
        if (failedSends.get() > 0) {
          say("  %s: %,d sends failed", tag, failedSends.get());
        }
        say("  %s: %,d events in %.1f s (last event time %d s after the first window's start), %d of %d scripted breaches measured",
            tag, events, seconds, (lastEventTime - firstStart) / 1000, sinceLast.size(), scripted.size());
        return new Row(delivery, fraction, experiments, rate, events / seconds, scripted.size(), sinceLast.size(), others.size(),
            LatencyLedger.Spread.of(sinceLast), LatencyLedger.Spread.of(sinceReady), lag);
      } finally {
        cluster.cancelJob(job).get();
        cluster.requestJobResult(job).get();
      }
    }
  }

  /**
   * Tells a late command from a lost one: the job's checkpoint history, then how many of the
   * missing commands still become readable within two more minutes (those are not measured).
   */
  private void explainShortfall(JobID job, String tag, CommandWatcher watcher, Set<LatencyLedger.WindowKey> scripted, long firstStart,
      long lastEventTime, String metricsTopic) throws Exception {
    JsonNode checkpoints = getJson(cluster.getRestAddress().get() + "/jobs/" + job + "/checkpoints");
    JsonNode counts = checkpoints.path("counts");
    JsonNode latest = checkpoints.path("latest").path("completed");
    int missing = scripted.size() - watcher.found(scripted);
    say("  %s: %d scripted commands not readable at the deadline; checkpoints completed %d, in progress %d, failed %d; "
            + "latest completed: end-to-end %,d ms, acknowledged %,d ms ago", tag, missing, counts.path("completed").asInt(),
        counts.path("in_progress").asInt(), counts.path("failed").asInt(), latest.path("end_to_end_duration").asLong(-1),
        latest.isMissingNode() ? -1 : System.currentTimeMillis() - latest.path("latest_ack_timestamp").asLong());
    long started = System.currentTimeMillis();
    watcher.awaitAll(scripted, 120_000);
    say("  %s: %d of those %d became readable within %,d ms more (not counted as measured)", tag,
        missing - (scripted.size() - watcher.found(scripted)), missing, System.currentTimeMillis() - started);
    List<LatencyLedger.WindowKey> stillMissing = watcher.missing(scripted).stream().limit(5).toList();
    Map<LatencyLedger.WindowKey, WindowSummary> summaries = new HashMap<>();
    Map<LatencyLedger.WindowKey, RuleVerdict> verdicts = new HashMap<>();
    readTreatmentRollups(metricsTopic, stillMissing.stream().map(LatencyLedger.WindowKey::experimentId).collect(Collectors.toSet()),
        summaries, verdicts);
    for (LatencyLedger.WindowKey key : stillMissing) {
      WindowSummary summary = summaries.get(key);
      say("  %s: still missing: %s window starting %,d ms after the first, closing %,d ms before the last event time; %s",
          tag, key.experimentId(), key.windowStart() - firstStart, lastEventTime - (key.windowStart() + WINDOW_MS + ALLOWED_LATENESS_MS),
          summary == null ? "no treatment summary of it in the metrics topic"
              : String.format("its treatment summary: %d turns, latency_p95_ms %.0f (the rule: above 3000 with 50 turns or more)",
                  summary.getTurns(), summary.getMetrics().getOrDefault("latency_p95_ms", Double.NaN)));
      StringBuilder history = new StringBuilder();
      for (long start = key.windowStart() - 4 * WINDOW_MS; start <= key.windowStart(); start += WINDOW_MS) {
        RuleVerdict v = verdicts.get(new LatencyLedger.WindowKey(key.experimentId(), start));
        history.append(String.format(" %+,d ms: %s", start - firstStart, v == null ? "none" : v.getVerdict() + " streak " + v.getStreak()));
      }
      say("  %s:   latency-rule verdicts of its treatment rollup before it:%s", tag, history);
    }
  }

  /**
   * The treatment rollup summaries and latency-rule verdicts of {@code experiments}, read
   * (read_committed) from the start of the metrics topic, where both are written, to its end.
   */
  private void readTreatmentRollups(String topic, Set<String> experiments, Map<LatencyLedger.WindowKey, WindowSummary> summaries,
      Map<LatencyLedger.WindowKey, RuleVerdict> verdicts) {
    Properties props = KafkaClients.consumer(kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long until = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.currentTimeMillis() < until) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Decoded decoded = WireFormat.decode(record.value());
          if (decoded.ok() && decoded.record() instanceof WindowSummary w && RunningExample.TREATMENT.equals(w.getVariantId())
              && Segments.ROLLUP.equals(w.getSegment()) && experiments.contains(w.getExperimentId())) {
            summaries.put(new LatencyLedger.WindowKey(w.getExperimentId(), w.getWindowStart()), w);
          } else if (decoded.ok() && decoded.record() instanceof RuleVerdict v && LATENCY_RULE.equals(v.getRuleId())
              && Segments.ROLLUP.equals(v.getSegment()) && v.getSeverity() == 0 && experiments.contains(v.getExperimentId())) {
            verdicts.put(new LatencyLedger.WindowKey(v.getExperimentId(), v.getWindowStart()), v);
          }
        }
      }
    }
  }

  /** The scripted breaches whose window the watermark could pass before the traffic stopped: those a command must answer. */
  static Set<LatencyLedger.WindowKey> scripted(int experiments, int windows, long firstStart, LatencyLedger ledger) {
    Set<LatencyLedger.WindowKey> keys = new LinkedHashSet<>();
    long definitionStart = firstStart - LEAD_WINDOWS * WINDOW_MS;
    for (int i = 0; i < experiments; i++) {
      for (Effect effect : effects(i, LEAD_WINDOWS + 1, windows)) {
        for (int w = effect.fromWindow(); w < effect.toWindow(); w++) {
          long start = definitionStart + w * WINDOW_MS;
          if (ledger.watermarkReady(start).isPresent() && ledger.lastAppend(BenchTraffic.experimentId(i), start).isPresent()) {
            keys.add(new LatencyLedger.WindowKey(BenchTraffic.experimentId(i), start));
          }
        }
      }
    }
    return keys;
  }

  private static String experimentOf(SpecificRecord event) {
    if (event instanceof TurnEvent turn) {
      return turn.getExperimentId();
    }
    if (event instanceof OutcomeEvent outcome) {
      return outcome.getExperimentId();
    }
    return ((JudgeScoreEvent) event).getExperimentId();
  }

  private void createTopics(ArbiterConfig config) throws Exception {
    try (Admin admin = kafka.admin()) {
      List<NewTopic> topics = new ArrayList<>();
      // The broker stamps input records with their append time: the start of every latency.
      topics.add(new NewTopic(config.get(ArbiterConfig.TOPIC_TURNS), settings.partitions(), (short) 1)
          .configs(Map.of("message.timestamp.type", "LogAppendTime")));
      topics.add(new NewTopic(config.get(ArbiterConfig.TOPIC_EXPERIMENTS), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
      for (ArbiterConfig.Setting output : List.of(ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DECISIONS, ArbiterConfig.TOPIC_DEAD_LETTERS)) {
        topics.add(new NewTopic(config.get(output), settings.partitions(), (short) 1));
      }
      admin.createTopics(topics).all().get();
    }
  }

  private JobID submit(ArbiterConfig config, String tag) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    env.setParallelism(settings.parallelism());
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, false));
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName("bench " + tag);
    return cluster.submitJob(graph).get().getJobID();
  }

  /** Waits until every task of the job runs, so the first appended window does not wait for deployment. */
  private void awaitRunning(JobID job) throws Exception {
    String url = cluster.getRestAddress().get() + "/jobs/" + job;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode vertices = getJson(url).path("vertices");
      boolean running = vertices.size() > 0;
      for (JsonNode vertex : vertices) {
        running &= "RUNNING".equals(vertex.path("status").asText());
      }
      if (running) {
        return;
      }
      Thread.sleep(100); // polling the REST API for a condition, with a deadline
    }
    throw new IllegalStateException("job " + job + " did not run all its tasks within 120 s");
  }

  /** Input events not yet covered by the job's committed offsets (committed on checkpoints). */
  private long committedLag(String group, String topic) throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < settings.partitions(); p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      long lag = 0;
      for (var end : admin.listOffsets(latest).all().get().entrySet()) {
        OffsetAndMetadata at = committed.get(end.getKey());
        lag += end.getValue().offset() - (at == null ? 0 : at.offset());
      }
      return lag;
    }
  }

  private static JsonNode getJson(String url) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + response.statusCode() + ": " + response.body());
    }
    return JsonForm.JSON.readTree(response.body());
  }

  private void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(format, args));
    out.flush();
  }

  /** A read_committed consumer of the decisions topic on its own thread, noting when each command first became readable. */
  private final class CommandWatcher implements AutoCloseable {
    record Seen(ControlCommand command, long readableAtMs) {}

    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    CommandWatcher(String topic) {
      Properties props = KafkaClients.consumer(kafka.bootstrapServers());
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
      thread = new Thread(() -> {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
          List<TopicPartition> partitions = List.of();
          while (running && partitions.isEmpty()) {
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
          }
          consumer.assign(partitions);
          consumer.seekToBeginning(partitions);
          while (running) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
            long now = System.currentTimeMillis();
            for (ConsumerRecord<byte[], byte[]> record : records) {
              Decoded decoded = WireFormat.decode(record.value());
              if (decoded.ok() && decoded.record() instanceof ControlCommand command) {
                seen.putIfAbsent(command.getCommandId(), new Seen(command, now));
              }
            }
          }
        } catch (Throwable e) {
          failure = e;
        }
      }, "bench-decisions");
      thread.setDaemon(true);
      thread.start();
    }

    /** Returns once every wanted window has its command, the consumer failed, or {@code patienceMs} passed. */
    void awaitAll(Set<LatencyLedger.WindowKey> wanted, long patienceMs) throws InterruptedException {
      long until = System.currentTimeMillis() + patienceMs;
      while (!sawAll(wanted) && System.currentTimeMillis() < until) {
        Thread.sleep(100); // polling the consumer thread's findings, with a deadline
      }
    }

    boolean sawAll(Set<LatencyLedger.WindowKey> wanted) {
      return failure != null || found(wanted) == wanted.size();
    }

    /** How many of the wanted windows have a latency-rule command readable so far. */
    int found(Set<LatencyLedger.WindowKey> wanted) {
      return foundKeys(wanted).size();
    }

    /** The wanted windows without a latency-rule command readable so far. */
    Set<LatencyLedger.WindowKey> missing(Set<LatencyLedger.WindowKey> wanted) {
      Set<LatencyLedger.WindowKey> missing = new LinkedHashSet<>(wanted);
      missing.removeAll(foundKeys(wanted));
      return missing;
    }

    private Set<LatencyLedger.WindowKey> foundKeys(Set<LatencyLedger.WindowKey> wanted) {
      Set<LatencyLedger.WindowKey> found = new HashSet<>();
      for (Seen s : seen.values()) {
        ControlCommand c = s.command();
        if (LATENCY_RULE.equals(c.getRuleId()) && c.getWindowStart() != null) {
          found.add(new LatencyLedger.WindowKey(c.getExperimentId(), c.getWindowStart()));
        }
      }
      found.retainAll(wanted);
      return found;
    }

    void check() {
      if (failure != null) {
        throw new IllegalStateException("the decisions consumer failed", failure);
      }
    }

    List<Seen> seen() {
      return List.copyOf(seen.values());
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }
}
