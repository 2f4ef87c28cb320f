package dev.arbiter.job.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import dev.arbiter.core.Segments;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.KafkaIngestDeserializer;
import dev.arbiter.job.cli.KafkaClients;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code arbiter bench}: one pre-produced topic on a real (in-process KRaft) broker, read side by
 * side by the ceiling and by Flink jobs on one MiniCluster:
 * <ul>
 *   <li>C0 a plain KafkaConsumer per core, reading and decoding every event;
 *   <li>C1 a pass-through Flink job: Kafka source, decode, re-encode, Kafka sink (exactly-once);
 *   <li>C1-keyed the same with what every keyed job pays per event: a shuffle by (experiment, unit) and one
 *       RocksDB read and write of a per-unit count, the least that per-unit state costs;
 *   <li>C2 Arbiter, RocksDB, exactly-once (C2-direct: the same without local pre-aggregation; C2-write-through: without
 *       recent units and windows on the heap);
 *   <li>C3 Arbiter, heap state, exactly-once;
 *   <li>C4 Arbiter, RocksDB, at-least-once.
 * </ul>
 * With {@code warmUpEvents}, every run reads a smaller topic of the same traffic, unreported, before
 * the first run is measured, so that the first compilations of its code are not counted against it;
 * with {@code rounds} above 1, all runs then read the measured topic that many times in turn and
 * only the last round is reported. The table shows the JIT compile time left in each measured run.
 * Sources are bounded at the offsets latest at start, so every run ends by itself. Throughput is
 * events over the job's net runtime; CPU is this process's CPU time (broker included), read from
 * the OS. Every Arbiter run's window summaries are read back and digested, so the table shows that
 * all runs computed the same windows. With {@code stateGrowth}, Arbiter (RocksDB, exactly-once) also
 * runs once per experiment count and reports checkpoint sizes and durations from the REST API.
 * With {@code latencyAt}, {@link DecisionLatencyBench} then measures decision latency at those
 * fractions of the capacity: {@code capacity} if given, else C2's events/s.
 */
public final class EndToEndBench {

  public record Settings(long events, int experiments, int windows, int partitions, int parallelism,
      long checkpointIntervalMs, List<String> runs, List<Integer> stateGrowth, long stateEvents, long seed,
      List<Double> latencyAt, double capacity, int latencySeconds, long warmUpEvents, int rounds) {}

  /**
   * The topics a run reads, and the suffix of its id (which names its own topics, group and
   * transactional ids); a warm-up pass reads smaller topics and is not reported.
   */
  record Input(String turns, String registry, String suffix) {
    boolean measured() {
      return suffix.isEmpty();
    }
  }

  /** One run's figures. */
  record Outcome(String id, String what, long events, double seconds, double cpuSeconds, double jitSeconds, String check) {
    double perSecond() {
      return events / seconds;
    }

    double perCpuSecond() {
      return events / cpuSeconds;
    }
  }

  /** Every run, in the default order. */
  public static final List<String> RUNS = List.of("C0", "C1", "C1-keyed", "C2", "C2-direct", "C2-write-through", "C3", "C4");

  static final String TURNS = "bench.turns";
  /** Windows of a state-study run: few, so that 10,000 experiments need no more than about 100,000 events. */
  static final int STATE_WINDOWS = 3;
  static final String EXPERIMENTS = "bench.experiments";
  static final Input MEASURED = new Input(TURNS, EXPERIMENTS, "");
  static final Input WARM_UP = new Input("bench.warm-up.turns", "bench.warm-up.experiments", "-warm-up");

  private final Settings settings;
  private final PrintWriter out;
  private final int cores = Runtime.getRuntime().availableProcessors();
  private EmbeddedKafka kafka;
  private MiniCluster cluster;
  private Path scratch;
  private long produced;
  private long producedTurns;

  public EndToEndBench(Settings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  public int run() throws Exception {
    scratch = Files.createTempDirectory("arbiter-bench");
    say("Arbiter end-to-end benchmark: %,d events, %,d experiments x 2 variants x 3 segments, %d windows, %d partitions, "
        + "parallelism %d, %d cores", settings.events(), settings.experiments(), settings.windows(), settings.partitions(),
        settings.parallelism(), cores);
    try (EmbeddedKafka broker = EmbeddedKafka.start(Map.of("log.retention.ms", "-1"))) {
      kafka = broker;
      cluster = startCluster();
      try {
        List<Outcome> outcomes = new ArrayList<>();
        if (!settings.runs().isEmpty()) {
          long[] counts = produce(TURNS, EXPERIMENTS, settings.events(), settings.experiments(), settings.windows());
          produced = counts[0];
          producedTurns = counts[1];
          if (settings.warmUpEvents() > 0) {
            say("warm-up topic, read by every run before the first measured one, unreported (so the JIT's compile time, "
                + "a one-off of a long-running job, is not counted):");
            produce(WARM_UP.turns(), WARM_UP.registry(), settings.warmUpEvents(), settings.experiments(), settings.windows());
          }
          // Every warm-up before the first measured run: Arbiter's runs share most of their code, and
          // the first Arbiter job measured right after its own warm-up still ran partly on code
          // being compiled (every thread of it, router and broker too, used half as much CPU again
          // as in the same job measured second).
          if (settings.warmUpEvents() > 0) {
            for (String run : settings.runs()) {
              warmUp(run);
            }
          }
          // Rounds before the last read the measured topic in the same order, unreported: the first
          // Arbiter run measured after the warm-ups still used a quarter to a half more CPU than the
          // same job measured later (the compilers were still at work), which no warm-up topic fixed.
          for (int round = 1; round < settings.rounds(); round++) {
            Input unreported = new Input(TURNS, EXPERIMENTS, "-round" + round);
            for (String run : settings.runs()) {
              Outcome outcome = run(run, unreported);
              say("  round %d of %d, unreported: %,.0f events per CPU-second", round, settings.rounds(), outcome.perCpuSecond());
            }
          }
          for (String run : settings.runs()) {
            outcomes.add(run(run, MEASURED));
          }
          printThroughput(outcomes);
        }
        if (!settings.stateGrowth().isEmpty()) {
          stateGrowth();
        }
        if (!settings.latencyAt().isEmpty()) {
          double capacity = settings.capacity() > 0 ? settings.capacity()
              : outcomes.stream().filter(o -> o.id().equals("C2")).findFirst().map(Outcome::perSecond)
                  .orElseThrow(() -> new IllegalArgumentException("decision latency needs C2 in the runs or a capacity"));
          new DecisionLatencyBench(new DecisionLatencyBench.Settings(settings.latencyAt(), capacity, settings.latencySeconds(),
              settings.experiments(), settings.partitions(), settings.parallelism(), settings.checkpointIntervalMs(), settings.seed()),
              kafka, cluster, scratch, out).run();
        }
      } finally {
        cluster.close();
      }
    } finally {
      try (Stream<Path> files = Files.walk(scratch)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return 0;
  }

  private Outcome run(String run, Input input) throws Exception {
    return switch (run) {
      case "C0" -> ceiling(input);
      case "C1" -> passThrough(input, false);
      case "C1-keyed" -> passThrough(input, true);
      case "C2" -> arbiter("C2", "Arbiter, RocksDB, exactly-once", "rocksdb", "exactly-once", config -> config, input);
      case "C2-direct" -> arbiter("C2-direct", "C2 without local pre-aggregation", "rocksdb", "exactly-once",
          config -> config.with(ArbiterConfig.PRE_AGGREGATION, "off"), input);
      case "C2-write-through" -> arbiter("C2-write-through", "C2 without recent units and windows on the heap", "rocksdb", "exactly-once",
          config -> config.with(ArbiterConfig.UNIT_STATE_RECENT_UNITS, 0).with(ArbiterConfig.RECENT_WINDOWS, 0), input);
      case "C3" -> arbiter("C3", "Arbiter, heap state, exactly-once", "hashmap", "exactly-once", config -> config, input);
      case "C4" -> arbiter("C4", "Arbiter, RocksDB, at-least-once", "rocksdb", "at-least-once", config -> config, input);
      default -> throw new IllegalArgumentException("unknown run " + run + "; runs are " + String.join(", ", RUNS));
    };
  }

  /**
   * One unreported pass over the warm-up topic. It does not make the JIT quiet: on two cores, with
   * the broker in the same JVM, the compilers keep working through every run (a cold C2 run
   * recompiled 460 methods three times or more), so the table shows their time per run.
   */
  private void warmUp(String run) throws Exception {
    Outcome warm = run(run, WARM_UP);
    say("  warm-up: JIT compile time %.1f s (summed over compiler threads) in %.1f s", warm.jitSeconds(), warm.seconds());
  }

  /** Time the JIT compilers have spent so far, from the JVM's own accounting. */
  private static double jitSeconds() {
    return ManagementFactory.getCompilationMXBean().getTotalCompilationTime() / 1000.0;
  }

  /** A run's id, with a suffix for its warm-up so that topics, groups and transactional ids stay apart. */
  private static String runId(String id, Input input) {
    return id + input.suffix();
  }

  private MiniCluster startCluster() throws Exception {
    Configuration conf = new Configuration();
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("512m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("128m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("128m"));
    MiniCluster mini = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(settings.parallelism())
        .withRandomPorts()
        .build());
    mini.start();
    return mini;
  }

  // ---------------------------------------------------------------- input

  /** Produces the input topic and the definitions; returns {events, turns, outcomes}. */
  private long[] produce(String topic, String registry, long events, int experiments, int windows) throws Exception {
    try (Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, settings.partitions(), (short) 1),
          new NewTopic(registry, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
    }
    long windowMs = 60_000;
    long now = System.currentTimeMillis();
    long start = now - (windows + 5) * windowMs;
    start -= Math.floorMod(start, windowMs);
    long begin = System.nanoTime();
    BenchTraffic traffic = new BenchTraffic(events, experiments, windows, start, settings.seed());
    Properties props = KafkaClients.producer(kafka.bootstrapServers());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    long count = 0;
    long turns = 0;
    long outcomes = 0;
    long bytes = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (ExperimentDefinition definition : traffic.definitions()) {
        producer.send(new ProducerRecord<>(registry, definition.getExperimentId().getBytes(StandardCharsets.UTF_8),
            WireFormat.encode(definition)));
      }
      while (traffic.hasNext()) {
        SpecificRecord event = traffic.next();
        byte[] value = WireFormat.encode(event);
        bytes += value.length;
        // Record timestamps are the event times, as a serving log's producer would stamp them.
        producer.send(new ProducerRecord<>(topic, null, Events.eventTime(event),
            Events.unitId(event).getBytes(StandardCharsets.UTF_8), value));
        count++;
        if (event instanceof OutcomeEvent) {
          outcomes++;
        } else {
          turns++;
        }
      }
      producer.flush();
    }
    say("  produced %,d events (%,d turns, %,d conversations, %.0f bytes per event) and %,d definitions in %.1f s",
        count, turns, outcomes, bytes / (double) count, experiments, (System.nanoTime() - begin) / 1e9);
    return new long[] {count, turns, outcomes};
  }

  // ---------------------------------------------------------------- C0

  private Outcome ceiling(Input input) throws Exception {
    say("%s: a plain KafkaConsumer per core reading and decoding ...", runId("C0", input));
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < settings.partitions(); p++) {
      partitions.add(new TopicPartition(input.turns(), p));
    }
    IngestDecoder decoder = new IngestDecoder(ArbiterConfig.defaults().getLong(ArbiterConfig.MAX_EVENT_TIME_SKEW_MS));
    AtomicLong decoded = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    long cpu = cpuNanos();
    double jit = jitSeconds();
    long begin = System.nanoTime();
    for (int t = 0; t < settings.parallelism(); t++) {
      List<TopicPartition> mine = new ArrayList<>();
      for (int p = t; p < partitions.size(); p += settings.parallelism()) {
        mine.add(partitions.get(p));
      }
      Thread reader = new Thread(() -> readAndDecode(mine, decoder, decoded, rejected), "bench-c0-" + t);
      readers.add(reader);
      reader.start();
    }
    for (Thread reader : readers) {
      reader.join();
    }
    double seconds = (System.nanoTime() - begin) / 1e9;
    double cpuSeconds = (cpuNanos() - cpu) / 1e9;
    return new Outcome("C0", "KafkaConsumer + decode (ceiling)", decoded.get(), seconds, cpuSeconds, jitSeconds() - jit,
        decoded.get() == produced && rejected.get() == 0 ? "all decoded" : decoded.get() + " read, " + rejected.get() + " rejected");
  }

  private void readAndDecode(List<TopicPartition> partitions, IngestDecoder decoder, AtomicLong decoded, AtomicLong rejected) {
    Properties props = KafkaClients.consumer(kafka.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long count = 0;
      long bad = 0;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Ingested in = decoder.decode(record.value(), record.topic(), record.partition(), record.offset(), record.timestamp());
          count++;
          if (in.deadLetter != null) {
            bad++;
          }
        }
      }
      decoded.addAndGet(count);
      rejected.addAndGet(bad);
    }
  }

  // ---------------------------------------------------------------- C1

  private Outcome passThrough(Input input, boolean keyed) throws Exception {
    String id = runId(keyed ? "C1-keyed" : "C1", input);
    say("%s: Flink pass-through (Kafka source, decode, %sre-encode, exactly-once Kafka sink) ...", id,
        keyed ? "shuffle by unit, count per unit in RocksDB, " : "");
    String output = "bench." + id.toLowerCase() + ".out";
    createTopics(output);
    ArbiterConfig config = baseConfig(id, "rocksdb", "exactly-once", input);
    IngestDecoder decoder = new IngestDecoder(config.getLong(ArbiterConfig.MAX_EVENT_TIME_SKEW_MS));
    KafkaSource<Ingested> source = KafkaSource.<Ingested>builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .setTopics(input.turns())
        .setGroupId("bench-" + id)
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.latest())
        .setDeserializer(new KafkaIngestDeserializer(decoder))
        .setProperty("isolation.level", "read_committed")
        .build();
    Properties producer = new Properties();
    producer.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.get(ArbiterConfig.TRANSACTION_TIMEOUT_MS));
    producer.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producer.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    KafkaRecordSerializationSchema<Ingested> reencode = (in, context, timestamp) -> new ProducerRecord<>(output, null, null,
        null, WireFormat.encode(payload(in)));
    KafkaSink<Ingested> sink = KafkaSink.<Ingested>builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(reencode)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix("bench-" + id.toLowerCase())
        .build();
    Outcome timed = runJob(id, keyed ? "Flink pass-through, keyed by unit, exactly-once" : "Flink pass-through, exactly-once", config, env -> {
      DataStream<Ingested> events = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events").uid("bench-source");
      if (keyed) {
        events = events.keyBy(EndToEndBench::unitKey)
            .process(new UnitCount()).returns(events.getType())
            .uid("bench-unit-count").name("count per unit");
      }
      events.sinkTo(sink).uid("bench-sink").name("re-encode and write");
    });
    long written = countCommitted(output);
    return new Outcome(timed.id(), timed.what(), timed.events(), timed.seconds(), timed.cpuSeconds(), timed.jitSeconds(),
        written == produced ? "all written" : written + " of " + produced + " written");
  }

  private static String unitKey(Ingested in) {
    String unit = in.turn != null ? in.turn.getUnitId() : in.outcome != null ? in.outcome.getUnitId() : in.judge != null ? in.judge.getRequestId() : "";
    return Observation.unitKey(in.experimentId(), unit);
  }

  /** C1-keyed's only work: the least a job with per-unit state does per event, one read and one write of it. */
  private static final class UnitCount extends KeyedProcessFunction<String, Ingested, Ingested> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext openContext) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("events-of-unit", Types.LONG));
    }

    @Override
    public void processElement(Ingested event, Context context, Collector<Ingested> out) throws Exception {
      Long seen = count.value();
      count.update(seen == null ? 1L : seen + 1);
      out.collect(event);
    }
  }

  private static SpecificRecord payload(Ingested in) {
    if (in.turn != null) {
      return in.turn;
    }
    if (in.outcome != null) {
      return in.outcome;
    }
    if (in.judge != null) {
      return in.judge;
    }
    return in.deadLetter;
  }

  // ---------------------------------------------------------------- C2..C4

  private ArbiterConfig baseConfig(String id, String backend, String delivery, Input input) {
    String prefix = "bench." + id.toLowerCase();
    return ArbiterConfig.defaults()
        .with(ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .with(ArbiterConfig.TOPIC_TURNS, input.turns())
        .with(ArbiterConfig.TOPIC_OUTCOMES, "")
        .with(ArbiterConfig.TOPIC_JUDGE_SCORES, "")
        .with(ArbiterConfig.TOPIC_EXPERIMENTS, input.registry())
        .with(ArbiterConfig.TOPIC_METRICS, prefix + ".metrics")
        .with(ArbiterConfig.TOPIC_DECISIONS, prefix + ".decisions")
        .with(ArbiterConfig.TOPIC_DEAD_LETTERS, prefix + ".dead-letters")
        .with(ArbiterConfig.GROUP_ID, "bench-" + id)
        .with(ArbiterConfig.TRANSACTIONAL_ID_PREFIX, "bench-" + id)
        .with(ArbiterConfig.STARTING_OFFSETS, "earliest")
        .with(ArbiterConfig.STATE_BACKEND, backend)
        .with(ArbiterConfig.DELIVERY, delivery)
        .with(ArbiterConfig.CHECKPOINT_INTERVAL_MS, settings.checkpointIntervalMs())
        .with(ArbiterConfig.CHECKPOINT_DIR, scratch.resolve(id).toUri().toString())
        .with(ArbiterConfig.PARALLELISM, settings.parallelism())
        .validated();
  }

  private Outcome arbiter(String run, String what, String backend, String delivery, UnaryOperator<ArbiterConfig> variation, Input input)
      throws Exception {
    String id = runId(run, input);
    say("%s: %s ...", id, what);
    ArbiterConfig config = variation.apply(baseConfig(id, backend, delivery, input)).validated();
    createTopics(config.get(ArbiterConfig.TOPIC_METRICS), config.get(ArbiterConfig.TOPIC_DECISIONS),
        config.get(ArbiterConfig.TOPIC_DEAD_LETTERS));
    Outcome timed = runJob(id, what, config, env -> ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true)));
    return new Outcome(timed.id(), timed.what(), timed.events(), timed.seconds(), timed.cpuSeconds(), timed.jitSeconds(),
        input.measured() ? windowDigest(config) : "");
  }

  /** Window summaries read back (read_committed): count, rollup turns against produced turns, and a digest of all of them. */
  private String windowDigest(ArbiterConfig config) {
    long summaries = 0;
    long rollupTurns = 0;
    long lateInWindow = 0;
    long digest = 0;
    for (byte[] value : readCommitted(config.get(ArbiterConfig.TOPIC_METRICS))) {
      Decoded decoded = WireFormat.decode(value);
      if (decoded.ok() && decoded.record() instanceof WindowSummary w) {
        summaries++;
        if (Segments.ROLLUP.equals(w.getSegment())) {
          rollupTurns += w.getTurns();
          lateInWindow += w.getLateEvents();
        }
        // Order-independent: a sum of per-summary hashes. Late events are left out: which turns
        // arrive after their window's end (within its lateness) depends on how the partitions interleave.
        digest += (w.getExperimentId() + "|" + w.getVariantId() + "|" + w.getSegment() + "|" + w.getWindowStart() + "|"
            + w.getTurns() + "|" + w.getUnits() + "|" + w.getMetrics().get("latency_p95_ms")
            + "|" + w.getEvidenceRequestIds()).hashCode() * 0x9E3779B97F4A7C15L;
      }
    }
    Map<String, Integer> deadLetters = new TreeMap<>();
    for (byte[] value : readCommitted(config.get(ArbiterConfig.TOPIC_DEAD_LETTERS))) {
      Decoded decoded = WireFormat.decode(value);
      deadLetters.merge(decoded.ok() && decoded.record() instanceof DeadLetter d ? d.getReason() : "undecodable", 1, Integer::sum);
    }
    return String.format("%,d windows, %s turns (%,d late in window), dead letters %s, digest %08x", summaries,
        rollupTurns == producedTurns ? "all" : rollupTurns + " of " + producedTurns, lateInWindow, deadLetters, digest >>> 32);
  }

  // ---------------------------------------------------------------- running jobs

  private Outcome runJob(String id, String what, ArbiterConfig config, Consumer<StreamExecutionEnvironment> graph) throws Exception {
    Configuration flink = ArbiterJob.flinkConfiguration(config);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    env.setParallelism(settings.parallelism());
    graph.accept(env);
    StreamGraph streamGraph = env.getStreamGraph();
    streamGraph.setJobName("bench " + id);
    long cpu = cpuNanos();
    double jit = jitSeconds();
    ThreadCpu threads = ThreadCpu.startIfAvailable();
    long begin = System.nanoTime();
    JobResult result;
    try {
      JobID job = cluster.submitJob(streamGraph).get().getJobID();
      result = cluster.requestJobResult(job).get();
    } catch (Exception e) {
      if (threads != null) {
        threads.close();
      }
      throw e;
    }
    double wall = (System.nanoTime() - begin) / 1e9;
    double cpuSeconds = (cpuNanos() - cpu) / 1e9;
    double jitSeconds = jitSeconds() - jit;
    Map<String, Double> byThread = threads == null ? Map.of() : threads.stop();
    if (!result.isSuccess()) {
      throw new IllegalStateException("job " + id + " failed", result.getSerializedThrowable().get().deserializeError(getClass().getClassLoader()));
    }
    say("  %s: %.1f s net runtime (%.1f s with submission), %.1f CPU s", id, result.getNetRuntime() / 1000.0, wall, cpuSeconds);
    if (!byThread.isEmpty()) {
      StringBuilder line = new StringBuilder("  CPU s by thread:");
      byThread.forEach((group, seconds) -> line.append(String.format(" %s %.1f;", group, seconds)));
      say("%s", line.substring(0, line.length() - 1));
    }
    return new Outcome(id, what, produced, result.getNetRuntime() / 1000.0, cpuSeconds, jitSeconds, "");
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private void createTopics(String... topics) throws Exception {
    try (Admin admin = kafka.admin()) {
      List<NewTopic> all = new ArrayList<>();
      for (String topic : topics) {
        all.add(new NewTopic(topic, settings.partitions(), (short) 1));
      }
      admin.createTopics(all).all().get();
    }
  }

  private long countCommitted(String topic) {
    return readCommitted(topic).size();
  }

  private List<byte[]> readCommitted(String topic) {
    List<byte[]> values = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaClients.consumer(kafka.bootstrapServers()))) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }

  // ---------------------------------------------------------------- state growth

  private void stateGrowth() throws Exception {
    say("");
    say("State growth: Arbiter (RocksDB, incremental checkpoints every %d ms, exactly-once), %,d events per run",
        settings.checkpointIntervalMs(), settings.stateEvents());
    List<String> rows = new ArrayList<>();
    for (int experiments : settings.stateGrowth()) {
      rows.add(stateRun(experiments));
    }
    say("");
    say("| experiments | window keys | units | checkpoints | full state at end (B) | WindowAggregator B/window key | "
        + "UnitTracker B/unit | incremental size p50 / max (B) | duration p50 / max (ms) |");
    say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(this::say);
  }

  /**
   * Runs the job unbounded until the source has committed the end offsets (a checkpoint covered all
   * input, so every unit is in state), then reads that checkpoint's figures and cancels the job.
   */
  private String stateRun(int experiments) throws Exception {
    String id = "S" + experiments;
    String turns = "bench.s" + experiments + ".turns";
    String registry = "bench.s" + experiments + ".experiments";
    long[] counts = produce(turns, registry, settings.stateEvents(), experiments, STATE_WINDOWS);
    ArbiterConfig config = baseConfig(id, "rocksdb", "exactly-once", new Input(turns, registry, ""));
    createTopics(config.get(ArbiterConfig.TOPIC_METRICS), config.get(ArbiterConfig.TOPIC_DECISIONS),
        config.get(ArbiterConfig.TOPIC_DEAD_LETTERS));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    env.setParallelism(settings.parallelism());
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, false));
    StreamGraph streamGraph = env.getStreamGraph();
    streamGraph.setJobName("bench " + id);
    JobID job = cluster.submitJob(streamGraph).get().getJobID();
    awaitCommittedEnd(config.get(ArbiterConfig.GROUP_ID), turns);
    String rest = cluster.getRestAddress().get().toString();
    JsonNode checkpoints = getJson(rest + "/jobs/" + job + "/checkpoints");
    cluster.cancelJob(job).get();
    cluster.requestJobResult(job).get();

    JsonNode latest = checkpoints.path("latest").path("completed");
    long checkpointId = latest.path("id").asLong();
    long fullSize = latest.path("state_size").asLong();
    JsonNode details = getJson(rest + "/jobs/" + job + "/checkpoints/details/" + checkpointId);
    Map<String, String> names = new HashMap<>();
    for (JsonNode vertex : getJson(rest + "/jobs/" + job).path("vertices")) {
      names.put(vertex.path("id").asText(), vertex.path("name").asText());
    }
    Map<String, Long> byVertex = new TreeMap<>();
    details.path("tasks").fields().forEachRemaining(task ->
        byVertex.put(names.getOrDefault(task.getKey(), task.getKey()), task.getValue().path("state_size").asLong()));
    long windowState = sizeOf(byVertex, "windows per experiment");
    long unitState = sizeOf(byVertex, "units:");
    List<Long> increments = new ArrayList<>();
    List<Long> durations = new ArrayList<>();
    for (JsonNode cp : checkpoints.path("history")) {
      if ("COMPLETED".equals(cp.path("status").asText())) {
        increments.add(cp.path("checkpointed_size").asLong());
        durations.add(cp.path("end_to_end_duration").asLong());
      }
    }
    long windowKeys = experiments * 2L * 3L;
    say("  %s: checkpoint %d: full state %,d B; by operator %s", id, checkpointId, fullSize, byVertex);
    return String.format("| %,d | %,d | %,d | %d | %,d | %,.0f | %,.0f | %,d / %,d | %,d / %,d |", experiments, windowKeys,
        counts[2], checkpoints.path("counts").path("completed").asLong(), fullSize, windowState / (double) windowKeys,
        unitState / (double) counts[2], percentile(increments, 0.5), percentile(increments, 1.0),
        percentile(durations, 0.5), percentile(durations, 1.0));
  }

  private static long sizeOf(Map<String, Long> byVertex, String nameStart) {
    return byVertex.entrySet().stream().filter(e -> e.getKey().contains(nameStart)).mapToLong(Map.Entry::getValue).sum();
  }

  private static long percentile(List<Long> values, double q) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1 < 0 ? 0 : Math.ceil(q * sorted.size()) - 1));
  }

  private void awaitCommittedEnd(String group, String topic) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      for (int p = 0; p < settings.partitions(); p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> end = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        if (end.entrySet().stream().allMatch(e -> committed.containsKey(e.getKey())
            && committed.get(e.getKey()).offset() >= e.getValue())) {
          return;
        }
        Thread.sleep(250); // polling the broker for a condition, with a deadline
      }
    }
    throw new IllegalStateException("the job did not commit the end of " + topic + " within 20 minutes");
  }

  private static JsonNode getJson(String url) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + response.statusCode() + ": " + response.body());
    }
    return JsonForm.JSON.readTree(response.body());
  }

  // ---------------------------------------------------------------- report

  private void printThroughput(List<Outcome> outcomes) {
    Map<String, Outcome> byId = new LinkedHashMap<>();
    outcomes.forEach(o -> byId.put(o.id(), o));
    say("");
    say("| run | what | events | seconds | events/s | events/s per core | events per CPU-second | JIT compiling (s) | check |");
    say("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for (Outcome o : outcomes) {
      say("| %s | %s | %,d | %.1f | %,.0f | %,.0f | %,.0f | %.1f | %s |", o.id(), o.what(), o.events(), o.seconds(), o.perSecond(),
          o.perSecond() / cores, o.perCpuSecond(), o.jitSeconds(), o.check());
    }
    say("");
    for (String[] pair : new String[][] {{"C2", "C0"}, {"C2", "C1"}, {"C2", "C1-keyed"}, {"C1-keyed", "C1"}, {"C3", "C1"}, {"C4", "C1"}, {"C2", "C2-direct"}, {"C2", "C2-write-through"}, {"C1", "C0"}}) {
      Outcome a = byId.get(pair[0]);
      Outcome b = byId.get(pair[1]);
      if (a != null && b != null) {
        say("%s/%s = %.2f (events/s), %.2f (events per CPU-second)", pair[0], pair[1], a.perSecond() / b.perSecond(),
            a.perCpuSecond() / b.perCpuSecond());
      }
    }
  }

  private void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(format, args));
    out.flush();
  }
}
