package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.local.FlinkRest;
import dev.arbiter.job.local.KafkaProcess;
import dev.arbiter.job.local.StandaloneCluster;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.Scenarios;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak (Maven profile {@code soak}): the job on a standalone cluster with RocksDB and
 * checkpoints every 2 s, fed at a steady rate with event time 30 times faster than the clock and a
 * new unit for every conversation, units expiring after {@code unit-state.ttl-ms} = 20 s. Consumer
 * lag must stay bounded, checkpoints must keep completing, and the checkpointed state must stop
 * growing once units expire. {@code -Dsoak.seconds} sets the length, {@code -Dsoak.rate} the events per second.
 */
class SoakIT {
  private static final int SPEEDUP = 30;
  private static final double EVENTS_PER_CONVERSATION = 3.5;
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);

  @TempDir
  static Path work;

  /** One sample of the running job. */
  record Sample(double second, long sent, long lag, long checkpoints, long failed, long restored, long stateSize) {}

  @Test
  void lagStaysBoundedCheckpointsCompleteAndStatePlateaus() throws Exception {
    long seconds = Long.getLong("soak.seconds", 120);
    int rate = Integer.getInteger("soak.rate", 1000);
    StandaloneCluster.Layout layout = StandaloneCluster.Layout.of(ClusterRun.jobTarget());
    try (KafkaProcess kafka = KafkaProcess.start(work.resolve("kafka"), layout.kafkaClasspath());
         StandaloneCluster flink = StandaloneCluster.start(work.resolve("flink"), layout, 2, Map.of())) {
      FlinkRest rest = flink.rest();
      ClusterRun run = new ClusterRun("soak", kafka.bootstrapServers(), Map.of(
          ArbiterConfig.CHECKPOINT_INTERVAL_MS.key(), "2000",
          ArbiterConfig.UNIT_STATE_TTL_MS.key(), "20000",
          ArbiterConfig.IDLENESS_MS.key(), "2000"));
      run.createTopics();
      // The running example's guardrails without a primary design: unit state is what must expire.
      long start = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
      ExperimentDefinition definition = Scenarios.named("noise", start).definition();
      try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
        KafkaFixture.send(producer, run.topic(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      }
      run.submit(rest, flink.rest().uploadJar(layout.jobJar()));

      int windows = (int) (seconds * SPEEDUP / 60) + 2;
      int conversationsPerWindow = (int) Math.round(rate * (60.0 / SPEEDUP) / EVENTS_PER_CONVERSATION);
      SupportBotTraffic traffic = new SupportBotTraffic(definition, 5, windows, w -> conversationsPerWindow, List.of());
      AtomicLong sent = new AtomicLong();
      AtomicReference<Throwable> feedFailure = new AtomicReference<>();
      long feedStart = System.nanoTime();
      long end = feedStart + Duration.ofSeconds(seconds).toNanos();
      Thread feeder = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
          long first = -1;
          while (traffic.hasNext() && System.nanoTime() < end) {
            SpecificRecord event = traffic.next();
            long eventTime = Events.eventTime(event);
            first = first < 0 ? eventTime : first;
            // A steady rate: each event leaves when the clock, 30 times slower than event time, reaches it.
            long wait = feedStart + (eventTime - first) * 1_000_000L / SPEEDUP - System.nanoTime();
            if (wait > 1_000_000) {
              Thread.sleep(wait / 1_000_000);
            }
            producer.send(run.record(event));
            sent.incrementAndGet();
          }
        } catch (Throwable t) {
          feedFailure.set(t);
        }
      }, "soak-feeder");
      feeder.start();

      List<Sample> samples = new ArrayList<>();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        while (feeder.isAlive()) {
          feeder.join(SAMPLE_EVERY.toMillis());
          FlinkRest.Checkpoints checkpoints = rest.checkpoints(run.jobId);
          Sample sample = new Sample((System.nanoTime() - feedStart) / 1e9, sent.get(), lag(admin, run), checkpoints.completed(),
              checkpoints.failed(), checkpoints.restored(), checkpoints.latestStateSize());
          samples.add(sample);
          System.out.println("SoakIT " + sample);
        }
      }
      assertThat(feedFailure.get()).as("the feeder").isNull();
      report(samples, rate, seconds);

      int n = samples.size();
      List<Sample> firstThird = samples.subList(0, n / 3);
      List<Sample> middleThird = samples.subList(n / 3, 2 * n / 3);
      List<Sample> lastThird = samples.subList(2 * n / 3, n);
      assertThat(n).as("samples").isGreaterThanOrEqualTo(9);
      assertThat(samples.get(n - 1).restored()).as("restarts from a checkpoint").isZero();
      for (List<Sample> third : List.of(firstThird, middleThird, lastThird)) {
        assertThat(third.get(third.size() - 1).checkpoints()).as("checkpoints keep completing")
            .isGreaterThan(samples.get(Math.max(0, samples.indexOf(third.get(0)) - 1)).checkpoints());
      }
      // Committed offsets move only when a checkpoint completes: allow 30 s of input behind.
      long lagBound = rate * 30L;
      assertThat(samples.subList(n / 3, n)).as("consumer lag after warm-up").allSatisfy(s -> assertThat(s.lag()).isLessThanOrEqualTo(lagBound));
      long middleState = middleThird.stream().mapToLong(Sample::stateSize).max().orElseThrow();
      long lastState = lastThird.stream().mapToLong(Sample::stateSize).max().orElseThrow();
      assertThat(lastState).as("checkpointed state once units expire (bytes)").isLessThanOrEqualTo(middleState * 3 / 2);
    }
  }

  /** Records in the input topics not yet committed by the job's consumer group. */
  private static long lag(Admin admin, ClusterRun run) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(run.config.get(ArbiterConfig.GROUP_ID))
        .partitionsToOffsetAndMetadata().get();
    Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
    for (String topic : run.config.inputTopics()) {
      for (int p = 0; p < 2; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
    }
    long lag = 0;
    for (var end : admin.listOffsets(latest).all().get().entrySet()) {
      OffsetAndMetadata done = committed.get(end.getKey());
      lag += end.getValue().offset() - (done == null ? 0 : done.offset());
    }
    return lag;
  }

  private static void report(List<Sample> samples, int rate, long seconds) {
    Sample last = samples.get(samples.size() - 1);
    long maxLag = samples.stream().mapToLong(Sample::lag).max().orElseThrow();
    System.out.printf("SoakIT summary: %d s at %d events/s target, %d events sent (%.0f/s), max lag %d records, checkpoints %d completed / %d failed,"
            + " state size first %d, middle %d, last %d bytes%n",
        seconds, rate, last.sent(), last.sent() / last.second(), maxLag, last.checkpoints(), last.failed(),
        samples.get(0).stateSize(), samples.get(samples.size() / 2).stateSize(), last.stateSize());
  }
}
