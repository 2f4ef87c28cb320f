package dev.arbiter.job;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.sinks.AvroKafkaSinks;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The production ends: Kafka topics named by {@link ArbiterConfig}. */
public final class KafkaEndpoints {
  /** How long an empty registry topic holds back event time at start-up. */
  static final long REGISTRY_BOOTSTRAP_MS = 10_000;

  private KafkaEndpoints() {}

  /** Unbounded Kafka ends, as the production job uses them. */
  public static Endpoints of(ArbiterConfig config) {
    return of(config, false);
  }

  /**
   * @param bounded stop reading at the offsets that are latest when the job starts, so a test or a
   *     catch-up run ends by itself
   */
  public static Endpoints of(ArbiterConfig config, boolean bounded) {
    IngestDecoder decoder = new IngestDecoder(config.getLong(ArbiterConfig.MAX_EVENT_TIME_SKEW_MS));
    KafkaSource<Ingested> events = source(config, decoder, config.inputTopics(), startingOffsets(config), bounded);
    // The registry is always read whole: a compacted topic is the current state of all definitions.
    KafkaSource<Ingested> registry = source(config, decoder, java.util.List.of(config.get(ArbiterConfig.TOPIC_EXPERIMENTS)),
        OffsetsInitializer.earliest(), bounded);
    return new Endpoints(events, registry, RegistryWatermarks.afterBootstrap(REGISTRY_BOOTSTRAP_MS),
        AvroKafkaSinks.<ControlCommand>create(target(config, ArbiterConfig.TOPIC_DECISIONS, "decisions"), ControlCommand::getExperimentId),
        AvroKafkaSinks.<WindowSummary>create(target(config, ArbiterConfig.TOPIC_METRICS, "metrics"), WindowSummary::getExperimentId),
        AvroKafkaSinks.<RuleVerdict>create(target(config, ArbiterConfig.TOPIC_METRICS, "verdicts"), RuleVerdict::getExperimentId),
        AvroKafkaSinks.<SequentialLook>create(target(config, ArbiterConfig.TOPIC_METRICS, "looks"), SequentialLook::getExperimentId),
        AvroKafkaSinks.<DeadLetter>create(target(config, ArbiterConfig.TOPIC_DEAD_LETTERS, "dead-letters"), KafkaEndpoints::deadLetterKey));
  }

  private static String deadLetterKey(DeadLetter deadLetter) {
    return deadLetter.getExperimentId() == null ? deadLetter.getReason() : deadLetter.getExperimentId();
  }

  private static KafkaSource<Ingested> source(ArbiterConfig config, IngestDecoder decoder, java.util.List<String> topics,
      OffsetsInitializer start, boolean bounded) {
    KafkaSourceBuilder<Ingested> builder = KafkaSource.<Ingested>builder()
        .setBootstrapServers(config.get(ArbiterConfig.BOOTSTRAP_SERVERS))
        .setTopics(topics)
        .setGroupId(config.get(ArbiterConfig.GROUP_ID))
        .setStartingOffsets(start)
        .setDeserializer(new KafkaIngestDeserializer(decoder))
        .setProperties(clientProperties(config))
        // Committed offsets are only a progress marker; recovery uses the checkpointed offsets.
        .setProperty("commit.offsets.on.checkpoint", "true")
        .setProperty("isolation.level", "read_committed");
    if (bounded) {
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  private static OffsetsInitializer startingOffsets(ArbiterConfig config) {
    return switch (config.choice(ArbiterConfig.STARTING_OFFSETS, "committed-or-earliest", "earliest", "latest")) {
      case "earliest" -> OffsetsInitializer.earliest();
      case "latest" -> OffsetsInitializer.latest();
      default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
  }

  private static AvroKafkaSinks.Target target(ArbiterConfig config, ArbiterConfig.Setting topic, String sinkName) {
    return new AvroKafkaSinks.Target(
        config.get(ArbiterConfig.BOOTSTRAP_SERVERS),
        config.get(topic),
        config.exactlyOnce() ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE,
        config.get(ArbiterConfig.TRANSACTIONAL_ID_PREFIX) + "-" + sinkName,
        config.getLong(ArbiterConfig.TRANSACTION_TIMEOUT_MS),
        clientProperties(config));
  }

  /** Client properties shared by sources and sinks (security settings join here). */
  static Properties clientProperties(ArbiterConfig config) {
    return new Properties();
  }
}
