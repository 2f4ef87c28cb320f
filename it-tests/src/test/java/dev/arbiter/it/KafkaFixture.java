package dev.arbiter.it;

import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing to and reading back from a real broker, as a control plane would. */
final class KafkaFixture {
  private KafkaFixture() {}

  /** The job's options for a test: this broker, fast checkpoints to a temporary folder, RocksDB, parallelism 2, short idleness. */
  static dev.arbiter.job.ArbiterConfig jobConfig(dev.arbiter.job.local.EmbeddedKafka kafka, java.nio.file.Path checkpoints) {
    return dev.arbiter.job.ArbiterConfig.defaults()
        .with(dev.arbiter.job.ArbiterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .with(dev.arbiter.job.ArbiterConfig.CHECKPOINT_INTERVAL_MS, 1000)
        .with(dev.arbiter.job.ArbiterConfig.CHECKPOINT_DIR, checkpoints.toUri().toString())
        .with(dev.arbiter.job.ArbiterConfig.STATE_BACKEND, "rocksdb")
        .with(dev.arbiter.job.ArbiterConfig.PARALLELISM, 2)
        // Empty partitions (no judge scores yet) must not hold event time back for long in a test.
        .with(dev.arbiter.job.ArbiterConfig.IDLENESS_MS, 2000)
        .validated();
  }

  /**
   * A one-turn conversation at {@code time}, assigned as the experiment's salt says. Sent after the
   * traffic it moves event time forward, so the windows before it close.
   */
  static dev.arbiter.avro.TurnEvent clockTurn(dev.arbiter.avro.ExperimentDefinition definition, String unit, long time) {
    List<Double> shares = definition.getVariants().stream().map(v -> v.getShare()).toList();
    String variant = definition.getVariants()
        .get(dev.arbiter.core.Assignment.variantIndex(definition.getAssignmentSalt(), unit, shares)).getId();
    return dev.arbiter.avro.TurnEvent.newBuilder().setExperimentId(definition.getExperimentId()).setVariantId(variant)
        .setUnitId(unit).setConversationId(unit).setRequestId(unit + "-t1").setTurnIndex(1).setEventTime(time)
        .setSegments(Map.of("device", "desktop")).setModelName("llama-4-scout")
        .setPromptVersion(variant.equals(definition.getControlVariant()) ? "v2.0" : "v2.1")
        .setLatencyMs(1_000L).setTtftMs(200.0).setPromptTokens(300).setCompletionTokens(100).setCostUsd(0.001)
        .setError(false).setEmptyResponse(false).setSafetyFlag(false).setCacheState(dev.arbiter.avro.CacheState.warm).build();
  }

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props);
  }

  static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(), value)).get();
  }

  /** Everything committed on a topic, read with isolation.level=read_committed up to the end offsets. */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      return readToEnd(consumer, topic);
    }
  }

  /** Every record of a topic from the beginning up to the end offsets seen now, with the consumer's isolation level. */
  static List<ConsumerRecord<byte[], byte[]>> readToEnd(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + topic + " to its end offsets " + end);
      }
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    return records;
  }

  /** The records of one type on a topic that carries several (the metrics topic holds summaries and verdicts). */
  static <T extends SpecificRecord> List<T> decodeAll(List<ConsumerRecord<byte[], byte[]>> records, Class<T> type) {
    List<SpecificRecord> all = decodeAll(records);
    return all.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @SuppressWarnings("unchecked")
  static <T extends SpecificRecord> List<T> decodeAll(List<ConsumerRecord<byte[], byte[]>> records) {
    List<T> decoded = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      Decoded d = WireFormat.decode(record.value());
      if (!d.ok()) {
        throw new IllegalStateException("output record does not decode: " + d.detail());
      }
      decoded.add((T) d.record());
    }
    return decoded;
  }

  /**
   * The same job on topics, group and transactional ids of its own, read bounded to the end of
   * what was sent: the uninterrupted run that a stopped-and-restored one is compared with.
   */
  static dev.arbiter.job.ArbiterConfig uninterrupted(dev.arbiter.job.ArbiterConfig config, java.nio.file.Path checkpoints) {
    dev.arbiter.job.ArbiterConfig reference = config;
    for (dev.arbiter.job.ArbiterConfig.Setting topic : List.of(dev.arbiter.job.ArbiterConfig.TOPIC_TURNS,
        dev.arbiter.job.ArbiterConfig.TOPIC_OUTCOMES, dev.arbiter.job.ArbiterConfig.TOPIC_JUDGE_SCORES,
        dev.arbiter.job.ArbiterConfig.TOPIC_EXPERIMENTS, dev.arbiter.job.ArbiterConfig.TOPIC_METRICS,
        dev.arbiter.job.ArbiterConfig.TOPIC_DECISIONS, dev.arbiter.job.ArbiterConfig.TOPIC_DEAD_LETTERS)) {
      reference = reference.with(topic, "reference." + config.get(topic));
    }
    return reference.with(dev.arbiter.job.ArbiterConfig.GROUP_ID, "reference")
        .with(dev.arbiter.job.ArbiterConfig.TRANSACTIONAL_ID_PREFIX, "reference")
        // Bounded, every split ends by itself; a split idle under load must not let the finished registry release event time.
        .with(dev.arbiter.job.ArbiterConfig.IDLENESS_MS, 600_000)
        .with(dev.arbiter.job.ArbiterConfig.CHECKPOINT_DIR, checkpoints.toUri().toString()).validated();
  }

  /** Re-reads until the condition holds: output becomes visible when a checkpoint completes (or is written, at least once). */
  static <T> List<T> await(java.util.function.Supplier<List<T>> read, java.util.function.Predicate<List<T>> done, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    List<T> seen = read.get();
    while (!done.test(seen)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within " + patience.toSeconds() + " s; last read: " + seen);
      }
      seen = read.get();
    }
    return seen;
  }

  /** The rollup segment's windows in a range, as (window, variant, turns, units, resolution rate, p95 latency), in order. */
  static List<List<Object>> rollups(List<dev.arbiter.avro.WindowSummary> summaries, long firstWindow, long lastWindow) {
    return summaries.stream().filter(s -> s.getSegment().equals("*") && s.getWindowStart() >= firstWindow && s.getWindowStart() <= lastWindow)
        .sorted(java.util.Comparator.comparing(dev.arbiter.avro.WindowSummary::getWindowStart)
            .thenComparing(dev.arbiter.avro.WindowSummary::getVariantId))
        .map(s -> List.<Object>of(s.getWindowStart(), s.getVariantId(), s.getTurns(), s.getUnits(),
            String.valueOf(s.getMetrics().get("resolution_rate")), String.valueOf(s.getMetrics().get("latency_p95_ms"))))
        .toList();
  }
}
