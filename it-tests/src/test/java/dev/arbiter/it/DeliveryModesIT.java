package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two delivery modes on a live job, window by window, and the decision latency of each: the
 * time from appending the event that closes a breaching window to the command being readable by a
 * read_committed consumer. Exactly-once commands wait for the checkpoint that commits their
 * transaction (a read_uncommitted consumer sees them earlier); at-least-once commands need no
 * checkpoint at all. Both modes decide the same commands, with the same ids.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeliveryModesIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  /** The production default checkpoint interval, as a deployment would run exactly-once. */
  static final long EXACTLY_ONCE_CHECKPOINT_MS = Long.parseLong(ArbiterConfig.CHECKPOINT_INTERVAL_MS.defaultValue());
  /**
   * Long enough that no checkpoint completes while the at-least-once job runs. Flink starts the
   * first checkpoint at a random time within the first interval, so 30 minutes gave a checkpoint
   * during the minute-long run about once in fifty runs (it happened in CI); a year makes it
   * practically never.
   */
  static final long AT_LEAST_ONCE_CHECKPOINT_MS = 365L * 24 * 3_600_000;
  /** Windows 1-2, 4-5 and 7-8 breach the latency rule (two windows to act): ALERT then PAUSE_EXPOSURE, three times. */
  static final int WINDOWS = 9;
  static final Set<Integer> BREACHING = Set.of(1, 2, 4, 5, 7, 8);
  /** One window closes every 3.3 s of wall time, out of step with the 10 s checkpoint interval. */
  static final long PACE_NANOS = 3_300_000_000L;

  static EmbeddedKafka kafka;
  static ExperimentDefinition definition;
  static SupportBotTraffic clock;
  static List<SpecificRecord> traffic;
  static Run exactlyOnce;
  static Run atLeastOnce;

  @TempDir
  static Path exactlyOnceCheckpoints;
  @TempDir
  static Path atLeastOnceCheckpoints;

  /** What one mode's run observed per breaching window. */
  record Breach(int window, String commandId, long latencyMs, long uncommittedLeadMs, long checkpointAtAppend, long checkpointWhenVisible) {}

  record Run(String mode, List<Breach> breaches, Set<String> commandIds) {
    long p50() {
      List<Long> sorted = breaches.stream().map(Breach::latencyMs).sorted().toList();
      return sorted.get((sorted.size() - 1) / 2);
    }

    long max() {
      return breaches.stream().mapToLong(Breach::latencyMs).max().orElseThrow();
    }
  }

  @BeforeAll
  static void startBrokerAndMakeTraffic() {
    kafka = EmbeddedKafka.start();
    definition = RunningExample.definition(System.currentTimeMillis() - 60 * 60_000);
    clock = new SupportBotTraffic(definition, 0, 0, w -> 0, List.of());
    SupportBotTraffic generator = new SupportBotTraffic(definition, 41, WINDOWS, w -> 170, List.of(
        new Effect.LatencySpike(RunningExample.TREATMENT, 1, 3, 2.0, null),
        new Effect.LatencySpike(RunningExample.TREATMENT, 4, 6, 2.0, null),
        new Effect.LatencySpike(RunningExample.TREATMENT, 7, 9, 2.0, null)));
    traffic = new ArrayList<>();
    generator.forEachRemaining(traffic::add);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @Order(1)
  void exactlyOnceCommandsBecomeReadableWhenTheirCheckpointCompletes() throws Exception {
    exactlyOnce = run("exactly-once", EXACTLY_ONCE_CHECKPOINT_MS, exactlyOnceCheckpoints);
    assertThat(exactlyOnce.breaches()).hasSize(BREACHING.size()).allSatisfy(breach -> {
      assertThat(breach.checkpointWhenVisible()).as("checkpoint completed between append and visibility of window " + breach.window())
          .isGreaterThan(breach.checkpointAtAppend());
      assertThat(breach.uncommittedLeadMs()).as("read_uncommitted never sees it later").isGreaterThanOrEqualTo(0);
    });
    assertThat(exactlyOnce.breaches()).as("an open transaction's command is visible to read_uncommitted first")
        .anySatisfy(breach -> assertThat(breach.uncommittedLeadMs()).isPositive());
  }

  @Test
  @Order(2)
  void atLeastOnceCommandsNeedNoCheckpoint() throws Exception {
    atLeastOnce = run("at-least-once", AT_LEAST_ONCE_CHECKPOINT_MS, atLeastOnceCheckpoints);
    assertThat(atLeastOnce.breaches()).hasSize(BREACHING.size())
        .allSatisfy(breach -> assertThat(breach.checkpointWhenVisible()).as("completed checkpoints").isZero());
  }

  @Test
  @Order(3)
  void bothModesDecideTheSameCommandsWithTheSameIds() {
    assertThat(exactlyOnce).isNotNull();
    assertThat(atLeastOnce).isNotNull();
    assertThat(atLeastOnce.commandIds()).hasSize(BREACHING.size()).isEqualTo(exactlyOnce.commandIds());
    assertThat(atLeastOnce.breaches()).extracting(Breach::commandId)
        .containsExactlyElementsOf(exactlyOnce.breaches().stream().map(Breach::commandId).toList());
    // The point of at-least-once: no wait for a checkpoint.
    assertThat(atLeastOnce.p50()).isLessThan(exactlyOnce.p50());
  }

  /**
   * Runs the job in one mode on its own topics and feeds it window by window; after each breaching
   * window's closing event it waits for the command and records how long it took to be readable.
   */
  private static Run run(String mode, long checkpointIntervalMs, Path checkpoints) throws Exception {
    String prefix = mode + ".";
    ArbiterConfig config = KafkaFixture.jobConfig(kafka, checkpoints)
        .with(ArbiterConfig.DELIVERY, mode)
        .with(ArbiterConfig.CHECKPOINT_INTERVAL_MS, checkpointIntervalMs)
        .with(ArbiterConfig.TOPIC_TURNS, prefix + "turns")
        // Outcomes share the turns topic and no judge runs: the clock turns below reach every input partition.
        .with(ArbiterConfig.TOPIC_OUTCOMES, prefix + "turns")
        .with(ArbiterConfig.TOPIC_JUDGE_SCORES, "")
        // Every partition gets records each window, so none needs to be declared idle; with a short idleness a partition
        // read a moment after the other would count as idle, and its records of the closing window would arrive late.
        .with(ArbiterConfig.IDLENESS_MS, 600_000)
        .with(ArbiterConfig.TOPIC_EXPERIMENTS, prefix + "experiments")
        .with(ArbiterConfig.TOPIC_METRICS, prefix + "metrics")
        .with(ArbiterConfig.TOPIC_DECISIONS, prefix + "decisions")
        .with(ArbiterConfig.TOPIC_DEAD_LETTERS, prefix + "dead-letters")
        .with(ArbiterConfig.GROUP_ID, prefix + "arbiter")
        .with(ArbiterConfig.TRANSACTIONAL_ID_PREFIX, prefix + "arbiter")
        .validated();
    int partitions = 2;
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, partitions);
    }
    String turns = config.get(ArbiterConfig.TOPIC_TURNS);
    String decisions = config.get(ArbiterConfig.TOPIC_DECISIONS);
    List<Breach> breaches = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers());
        Watcher committed = new Watcher(decisions, "read_committed", () -> completedCheckpoint(checkpoints));
        Watcher uncommitted = new Watcher(decisions, "read_uncommitted", () -> completedCheckpoint(checkpoints))) {
      KafkaFixture.send(producer, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
      ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, false));
      JobClient job = env.executeAsync("arbiter-" + mode);
      try {
        int next = 0;
        long[] appended = new long[WINDOWS];
        long[] checkpointAtAppend = new long[WINDOWS];
        long schedule = 0;
        for (int window = 0; window < WINDOWS; window++) {
          if (window > 0) {
            // Closing events go out on a fixed schedule, not after the previous command: appended right after
            // a command became visible they would always fall just after a checkpoint and wait a whole interval.
            java.util.concurrent.locks.LockSupport.parkNanos(schedule + (window - 1) * PACE_NANOS - System.nanoTime());
          }
          // Watermark = newest event time - 5 s out-of-orderness; the window closes 30 s (allowed lateness) after its end.
          long closing = clock.windowStart(window + 1) + RunningExample.ALLOWED_LATENESS_MS
              + config.getLong(ArbiterConfig.OUT_OF_ORDERNESS_MS) + 1_000;
          while (next < traffic.size() && Events.eventTime(traffic.get(next)) < closing) {
            SpecificRecord event = traffic.get(next++);
            producer.send(new ProducerRecord<>(turns, Events.unitId(event).getBytes(), WireFormat.encode(event)));
          }
          producer.flush();
          checkpointAtAppend[window] = completedCheckpoint(checkpoints);
          // One clock turn per partition, so no partition holds the watermark back until it counts as idle.
          for (int partition = 0; partition < partitions; partition++) {
            String unit = "clock-" + window + "-" + partition;
            producer.send(new ProducerRecord<>(turns, partition, unit.getBytes(),
                WireFormat.encode(KafkaFixture.clockTurn(definition, unit, closing))));
          }
          producer.flush();
          appended[window] = System.nanoTime();
          if (window == 0) {
            // The job is up and caught up once the first window's verdicts are committed.
            awaitVerdict(config.get(ArbiterConfig.TOPIC_METRICS), clock.windowStart(0));
            schedule = System.nanoTime();
          }
        }
        for (int window = 1; window < WINDOWS; window++) {
          if (!BREACHING.contains(window)) {
            continue;
          }
          long start = clock.windowStart(window);
          ControlCommand found;
          try {
            found = committed.await(c -> c.getWindowStart() == start && c.getRuleId().equals("latency"));
          } catch (AssertionError e) {
            throw new AssertionError("window " + window + ": " + e.getMessage() + "; read_committed saw " + committed.describe()
                + ", read_uncommitted saw " + uncommitted.describe() + "; completed checkpoint " + completedCheckpoint(checkpoints), e);
          }
          String id = found.getCommandId();
          uncommitted.await(c -> c.getCommandId().equals(id));
          breaches.add(new Breach(window, id, (committed.seenAt(id) - appended[window]) / 1_000_000,
              (committed.seenAt(id) - uncommitted.seenAt(id)) / 1_000_000, checkpointAtAppend[window], committed.checkpointAt(id)));
        }
      } finally {
        job.cancel().get();
      }
      Run run = new Run(mode, breaches, new TreeSet<>(committed.ids()));
      System.out.printf("Decision latency, %s, checkpoint interval %d ms: %s ms; p50 %d ms, max %d ms%n", mode,
          checkpointIntervalMs, breaches.stream().map(Breach::latencyMs).toList(), run.p50(), run.max());
      return run;
    }
  }

  /** The id of the newest checkpoint whose metadata is written (a completed one), 0 if none. */
  private static long completedCheckpoint(Path checkpoints) throws IOException {
    try (Stream<Path> files = Files.walk(checkpoints, 3)) {
      return files.filter(f -> f.getFileName().toString().equals("_metadata"))
          .map(f -> f.getParent().getFileName().toString())
          .filter(name -> name.startsWith("chk-"))
          .mapToLong(name -> Long.parseLong(name.substring(4)))
          .max().orElse(0);
    } catch (java.io.UncheckedIOException e) {
      // Flink removed a subsumed checkpoint while it was listed; the next look sees the current one.
      return completedCheckpoint(checkpoints);
    }
  }

  private static void awaitVerdict(String metrics, long windowStart) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (KafkaFixture.decodeAll(KafkaFixture.readCommitted(kafka.bootstrapServers(), metrics), RuleVerdict.class).stream()
        .noneMatch(v -> v.getWindowStart() == windowStart)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no committed verdict of the window at " + windowStart + " within 60 s");
      }
    }
  }

  /** A consumer of the decisions topic on its own thread, noting when it first saw each command. */
  static final class Watcher implements AutoCloseable {
    private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
    private final Map<String, Long> checkpointWhenSeen = new ConcurrentHashMap<>();
    private final Map<String, ControlCommand> commands = new ConcurrentHashMap<>();
    private final Object arrivals = new Object();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    /** @param checkpoint the newest completed checkpoint, noted when a command is first seen */
    Watcher(String topic, String isolation, java.util.concurrent.Callable<Long> checkpoint) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      thread = new Thread(() -> {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
          List<TopicPartition> partitions = List.of();
          // A topic just created may not be in the metadata yet.
          while (running && partitions.isEmpty()) {
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
          }
          consumer.assign(partitions);
          consumer.seekToBeginning(partitions);
          while (running) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
              long now = System.nanoTime();
              Decoded decoded = WireFormat.decode(record.value());
              if (decoded.record() instanceof ControlCommand command) {
                if (firstSeen.putIfAbsent(command.getCommandId(), now) == null) {
                  checkpointWhenSeen.put(command.getCommandId(), checkpoint.call());
                }
                commands.putIfAbsent(command.getCommandId(), command);
                synchronized (arrivals) {
                  arrivals.notifyAll();
                }
              }
            }
          }
        } catch (Throwable e) {
          failure = e;
          synchronized (arrivals) {
            arrivals.notifyAll();
          }
        }
      }, "decisions-" + isolation);
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits (up to 60 s) for a command that matches; the consumer thread wakes it on every arrival. */
    ControlCommand await(java.util.function.Predicate<ControlCommand> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      synchronized (arrivals) {
        while (true) {
          if (failure != null) {
            throw new AssertionError("consumer failed", failure);
          }
          for (ControlCommand command : commands.values()) {
            if (wanted.test(command)) {
              return command;
            }
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new AssertionError("no matching command within 60 s");
          }
          arrivals.wait(Math.max(1, left / 1_000_000));
        }
      }
    }

    /** The commands seen so far as action/rule@window index, for failure messages. */
    List<String> describe() {
      return commands.values().stream().sorted(java.util.Comparator.comparing(ControlCommand::getWindowStart))
          .map(c -> c.getAction() + "/" + c.getRuleId() + "@" + (c.getWindowStart() - clock.windowStart(0)) / 60_000).toList();
    }

    long checkpointAt(String commandId) {
      return checkpointWhenSeen.get(commandId);
    }

    long seenAt(String commandId) {
      return firstSeen.get(commandId);
    }

    Set<String> ids() {
      return Set.copyOf(commands.keySet());
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }
  }
}
