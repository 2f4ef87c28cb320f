package dev.arbiter.job.local;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code arbiter demo}: a KRaft broker in this process, the job on a local Flink cluster with
 * RocksDB and exactly-once sinks, the running example registered, simulated traffic with a
 * treatment latency regression, and a live table of windows and decisions read back from Kafka
 * with read_committed, as a control plane would read them.
 */
public final class Demo {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
  private static final double EVENTS_PER_CONVERSATION = 3.5;

  private final Duration duration;
  private final int rate;
  private final int speedup;
  private final long seed;
  private final PrintWriter out;

  public Demo(Duration duration, int rate, int speedup, long seed, PrintWriter out) {
    this.duration = duration;
    this.rate = rate;
    this.speedup = speedup;
    this.seed = seed;
    this.out = out;
  }

  public int run() throws Exception {
    long wallStart = System.nanoTime();
    int windows = (int) Math.max(6, duration.toSeconds() * speedup / (RunningExample.WINDOW_MS / 1000));
    int spikeFrom = windows / 3;
    int spikeTo = spikeFrom + 4;
    long eventSpanMs = windows * RunningExample.WINDOW_MS;
    long start = System.currentTimeMillis() - eventSpanMs - 10 * 60_000;
    ExperimentDefinition definition = RunningExample.definition(start);
    int conversationsPerWindow = (int) Math.max(40,
        rate * (RunningExample.WINDOW_MS / 1000.0 / speedup) / EVENTS_PER_CONVERSATION);
    SupportBotTraffic traffic = new SupportBotTraffic(definition, seed, windows, w -> conversationsPerWindow,
        List.of(new dev.arbiter.job.simulate.Effect.LatencySpike(RunningExample.TREATMENT, spikeFrom, spikeTo, 2.0, null)));

    say("Arbiter demo: support-bot prompt experiment (control \"Be helpful.\" vs treatment that cites policy and uses the name)");
    say("  guardrails: p95 latency <= 3000 ms (PAUSE_EXPOSURE), safety pass >= 99.5% (ROLLBACK), errors <= 0.1% (ROLLBACK),");
    say("              cost per session <= $0.08 (REVIEW); each acts only after 2 consecutive breached windows");
    say("  traffic: %d windows of 60 s event time at %dx speed, ~%d conversations per window; treatment latency doubles in windows %d-%d",
        windows, speedup, conversationsPerWindow, spikeFrom + 1, spikeTo);
    Path checkpoints = Files.createTempDirectory("arbiter-demo-checkpoints");
    say("Starting Kafka (KRaft, in-process) ...");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      ArbiterConfig config = ArbiterConfig.defaults()
          .with(ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
          .with(ArbiterConfig.CHECKPOINT_INTERVAL_MS, 2000)
          .with(ArbiterConfig.CHECKPOINT_DIR, checkpoints.toUri().toString())
          .with(ArbiterConfig.PARALLELISM, 2)
          .with(ArbiterConfig.IDLENESS_MS, 5000)
          .validated();
      try (Admin admin = kafka.admin()) {
        Topics.create(admin, config, 2);
      }
      say("  broker at %s, topics created: %s, %s (compacted), %s, %s, %s", kafka.bootstrapServers(),
          config.get(ArbiterConfig.TOPIC_TURNS), config.get(ArbiterConfig.TOPIC_EXPERIMENTS), config.get(ArbiterConfig.TOPIC_METRICS),
          config.get(ArbiterConfig.TOPIC_DECISIONS), config.get(ArbiterConfig.TOPIC_DEAD_LETTERS));
      try (KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers())) {
        producer.send(new ProducerRecord<>(config.get(ArbiterConfig.TOPIC_EXPERIMENTS),
            definition.getExperimentId().getBytes(), WireFormat.encode(definition))).get();
        say("  registered %s v%d", definition.getExperimentId(), definition.getVersion());

        int uiPort = freePortFrom(8081);
        Configuration flink = ArbiterJob.flinkConfiguration(config);
        flink.set(RestOptions.PORT, uiPort);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config));
        JobClient job = env.executeAsync("arbiter demo");
        say("Job %s running on a local Flink cluster (RocksDB, exactly-once; Flink UI http://localhost:%d)", job.getJobID(), uiPort);

        Viewer viewer = new Viewer(kafka.bootstrapServers(), config);
        Thread viewerThread = new Thread(viewer, "demo-viewer");
        viewerThread.setDaemon(true);
        viewerThread.start();
        say("");
        say("  window (UTC)   control p95     treatment p95   turns c/t    (decisions appear as >> lines, read_committed)");
        long maxEventTime = feed(producer, config, traffic, definition, spikeFrom, viewer, wallStart);
        long lastClosable = lastClosedWindowStart(definition, maxEventTime - config.getLong(ArbiterConfig.OUT_OF_ORDERNESS_MS));
        viewer.awaitWindow(lastClosable, Duration.ofSeconds(30));
        viewer.stop();
        viewerThread.join(5_000);
        job.cancel().get();
        return summary(viewer, kafka.bootstrapServers(), config, wallStart);
      }
    } finally {
      try (Stream<Path> files = Files.walk(checkpoints)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private long feed(KafkaProducer<byte[], byte[]> producer, ArbiterConfig config, SupportBotTraffic traffic,
      ExperimentDefinition definition, int spikeFrom, Viewer viewer, long wallStart) throws Exception {
    String turns = config.get(ArbiterConfig.TOPIC_TURNS);
    long firstEventTime = -1;
    long feedStart = System.nanoTime();
    long sent = 0;
    long lastProgress = System.nanoTime();
    long maxEventTime = 0;
    boolean injected = false;
    while (traffic.hasNext()) {
      SpecificRecord event = traffic.next();
      long eventTime = dev.arbiter.job.simulate.Events.eventTime(event);
      if (firstEventTime < 0) {
        firstEventTime = eventTime;
      }
      long dueNanos = feedStart + (eventTime - firstEventTime) * 1_000_000L / speedup;
      long wait = dueNanos - System.nanoTime();
      if (wait > 1_000_000) {
        Thread.sleep(wait / 1_000_000);
      }
      String key = dev.arbiter.job.simulate.Events.unitId(event);
      producer.send(new ProducerRecord<>(turns, key.getBytes(), WireFormat.encode(event)));
      sent++;
      maxEventTime = Math.max(maxEventTime, eventTime);
      if (!injected && eventTime >= traffic.windowStart(spikeFrom - 1)) {
        injectBadRecords(producer, turns, definition, eventTime);
        injected = true;
      }
      if (System.nanoTime() - lastProgress > 5_000_000_000L) {
        lastProgress = System.nanoTime();
        double seconds = (System.nanoTime() - feedStart) / 1e9;
        say("  [%3.0fs] produced %,d events (%,.0f/s), windows closed %d, decisions %d", (System.nanoTime() - wallStart) / 1e9,
            sent, sent / seconds, viewer.windowsShown(), viewer.decisionCount());
      }
    }
    producer.flush();
    return maxEventTime;
  }

  /** A few records that must be refused, to show the dead-letter path. */
  private void injectBadRecords(KafkaProducer<byte[], byte[]> producer, String topic, ExperimentDefinition definition, long eventTime) {
    producer.send(new ProducerRecord<>(topic, "{\"looks\":\"like json\"}".getBytes()));
    producer.send(new ProducerRecord<>(topic, WireFormat.encode(TurnEvent.newBuilder()
        .setExperimentId(definition.getExperimentId()).setVariantId("treatment-b").setUnitId("conv-x").setRequestId("req-x")
        .setEventTime(eventTime).setLatencyMs(900).build())));
    producer.send(new ProducerRecord<>(topic, WireFormat.encode(TurnEvent.newBuilder()
        .setExperimentId(definition.getExperimentId()).setVariantId("control").setUnitId("conv-y").setRequestId("req-y")
        .setEventTime(eventTime).setLatencyMs(-5).build())));
  }

  private static long lastClosedWindowStart(ExperimentDefinition d, long watermark) {
    long start = watermark - Math.floorMod(watermark, d.getWindowMs());
    while (start + d.getWindowMs() - 1 + d.getAllowedLatenessMs() > watermark) {
      start -= d.getWindowMs();
    }
    return start;
  }

  private int summary(Viewer viewer, String bootstrap, ArbiterConfig config, long wallStart) {
    Map<String, Integer> deadLetters = new TreeMap<>();
    for (SpecificRecord record : readAll(bootstrap, config.get(ArbiterConfig.TOPIC_DEAD_LETTERS))) {
      deadLetters.merge(((DeadLetter) record).getReason(), 1, Integer::sum);
    }
    Map<String, Integer> actions = new TreeMap<>();
    for (ControlCommand command : viewer.decisions()) {
      actions.merge(command.getAction(), 1, Integer::sum);
    }
    say("");
    say("Summary after %.0f s: %d windows closed and judged; decisions %s; dead letters %s",
        (System.nanoTime() - wallStart) / 1e9, viewer.windowsShown(), actions, deadLetters);
    boolean paused = viewer.decisions().stream().anyMatch(c -> c.getAction().equals("PAUSE_EXPOSURE"));
    if (!paused) {
      say("The expected PAUSE_EXPOSURE did not appear: something is wrong (see job/target/arbiter.log).");
      return 1;
    }
    say("Treatment paused after its latency breach persisted for 2 windows; the single-window breach before it was only an ALERT.");
    return 0;
  }

  private static List<SpecificRecord> readAll(String bootstrap, String topic) {
    List<SpecificRecord> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
      List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Decoded decoded = WireFormat.decode(record.value());
          if (decoded.ok()) {
            records.add(decoded.record());
          }
        }
      }
    }
    return records;
  }

  private void say(String format, Object... args) {
    synchronized (out) {
      out.println(args.length == 0 ? format : String.format(format, args));
      out.flush();
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(dev.arbiter.job.cli.KafkaClients.producer(bootstrap));
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    return new KafkaConsumer<>(dev.arbiter.job.cli.KafkaClients.consumer(bootstrap));
  }

  /** Milliseconds and dollars read best rounded, rates with four decimals. */
  static String number(Double value) {
    if (value == null) {
      return "-";
    }
    return Math.abs(value) >= 100 ? String.format("%,.0f", value) : String.format("%.4f", value);
  }

  private static int freePortFrom(int first) {
    for (int port = first; port < first + 50; port++) {
      try (ServerSocket socket = new ServerSocket(port)) {
        return port;
      } catch (IOException busy) {
        // try the next one
      }
    }
    return 0;
  }

  /** Reads metrics and decisions as a control plane would (read_committed) and prints them as they arrive. */
  private final class Viewer implements Runnable {
    private final String bootstrap;
    private final String metricsTopic;
    private final String decisionsTopic;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<Long, Map<String, WindowSummary>> pendingRows = new HashMap<>();
    private final List<ControlCommand> decisions = new ArrayList<>();
    private volatile long lastShownWindow = Long.MIN_VALUE;
    private volatile int windowsShown;

    Viewer(String bootstrap, ArbiterConfig config) {
      this.bootstrap = bootstrap;
      this.metricsTopic = config.get(ArbiterConfig.TOPIC_METRICS);
      this.decisionsTopic = config.get(ArbiterConfig.TOPIC_DECISIONS);
    }

    @Override
    public void run() {
      try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
        List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(metricsTopic, decisionsTopic)) {
          consumer.partitionsFor(topic).forEach(p -> partitions.add(new org.apache.kafka.common.TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        while (running.get()) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            Decoded decoded = WireFormat.decode(record.value());
            if (decoded.record() instanceof WindowSummary summary) {
              onWindow(summary);
            } else if (decoded.record() instanceof ControlCommand command) {
              onDecision(command);
            }
          }
        }
      }
    }

    private void onWindow(WindowSummary summary) {
      if (!summary.getSegment().equals("*")) {
        return;
      }
      Map<String, WindowSummary> row = pendingRows.computeIfAbsent(summary.getWindowStart(), k -> new HashMap<>());
      row.put(summary.getVariantId(), summary);
      WindowSummary control = row.get(RunningExample.CONTROL);
      WindowSummary treatment = row.get(RunningExample.TREATMENT);
      if (control != null && treatment != null) {
        pendingRows.remove(summary.getWindowStart());
        double t95 = treatment.getMetrics().getOrDefault("latency_p95_ms", Double.NaN);
        say("  %-14s %,8.0f ms     %,8.0f ms%s  %4d/%-4d",
            CLOCK.format(Instant.ofEpochMilli(summary.getWindowStart())),
            control.getMetrics().getOrDefault("latency_p95_ms", Double.NaN), t95, t95 > 3000 ? " !" : "  ",
            control.getTurns(), treatment.getTurns());
        windowsShown++;
        lastShownWindow = Math.max(lastShownWindow, summary.getWindowStart());
      }
    }

    private void onDecision(ControlCommand c) {
      synchronized (decisions) {
        decisions.add(c);
      }
      String when = CLOCK.format(Instant.ofEpochMilli(c.getWindowStart() == null ? c.getEventTime() : c.getWindowStart()));
      if (c.getLookIndex() != null) {
        say("  %-14s >> %s on %s: %s%s  id %s", when, c.getAction(), c.getVariantId(), c.getReason(),
            c.getDryRun() ? " [dry run]" : "", c.getCommandId().substring(0, 8));
        return;
      }
      say("  %-14s >> %s %s on %s/%s: %s = %s vs threshold %s (streak %d)%s  id %s",
          when, c.getAction(), c.getRuleId(), c.getVariantId(), c.getSegment(),
          c.getMetric(), number(c.getObserved()), number(c.getThreshold()), c.getStreak(), c.getDryRun() ? " [dry run]" : "",
          c.getCommandId().substring(0, 8));
    }

    void awaitWindow(long windowStart, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (lastShownWindow < windowStart && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      // Decisions of the last window become visible with the same checkpoint as its metrics.
      Thread.sleep(500);
    }

    void stop() {
      running.set(false);
    }

    int windowsShown() {
      return windowsShown;
    }

    int decisionCount() {
      synchronized (decisions) {
        return decisions.size();
      }
    }

    List<ControlCommand> decisions() {
      synchronized (decisions) {
        return List.copyOf(decisions);
      }
    }
  }
}
