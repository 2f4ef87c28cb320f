package dev.arbiter.job;

import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.operators.IngestedTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Decodes Kafka records into {@link Ingested}; never throws, so one bad record cannot restart the job. */
public final class KafkaIngestDeserializer implements KafkaRecordDeserializationSchema<Ingested> {
  private static final long serialVersionUID = 1L;
  private final IngestDecoder decoder;

  public KafkaIngestDeserializer(IngestDecoder decoder) {
    this.decoder = decoder;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Ingested> out) {
    out.collect(decoder.decode(record.value(), record.topic(), record.partition(), record.offset(), record.timestamp()));
  }

  @Override
  public TypeInformation<Ingested> getProducedType() {
    return IngestedTypeInfo.INSTANCE;
  }
}
