package dev.arbiter.sinks;

import dev.arbiter.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka sinks for Arbiter's outputs: Avro single-object values, keyed so that all records of one
 * experiment stay in order on one partition. With {@link DeliveryGuarantee#EXACTLY_ONCE} a record
 * becomes visible to read_committed consumers when the checkpoint that covers it completes.
 */
public final class AvroKafkaSinks {
  private AvroKafkaSinks() {}

  /** How a sink reaches Kafka; one per output topic. */
  public record Target(String bootstrapServers, String topic, DeliveryGuarantee guarantee,
      String transactionalIdPrefix, long transactionTimeoutMs, Properties clientProperties) {}

  public static <T extends SpecificRecord> KafkaSink<T> create(Target target, SerializableFunction<T, String> key) {
    Properties producer = new Properties();
    producer.putAll(target.clientProperties());
    // The broker caps transactions at transaction.max.timeout.ms (15 min by default); the sink's own default is 1 h.
    producer.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(target.transactionTimeoutMs()));
    producer.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producer.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    String topic = target.topic();
    // Kafka timestamps stay at append time: stamping old event times would let retention delete fresh output.
    KafkaRecordSerializationSchema<T> schema = (element, context, timestamp) -> new ProducerRecord<>(
        topic, null, null, key.apply(element).getBytes(StandardCharsets.UTF_8), WireFormat.encode(element));
    return KafkaSink.<T>builder()
        .setBootstrapServers(target.bootstrapServers())
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(schema)
        .setDeliveryGuarantee(target.guarantee())
        .setTransactionalIdPrefix(target.transactionalIdPrefix())
        .build();
  }
}
