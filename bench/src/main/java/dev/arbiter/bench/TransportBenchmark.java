package dev.arbiter.bench;

import dev.arbiter.avro.TurnEvent;
import dev.arbiter.core.Ingested;
import dev.arbiter.operators.IngestedSerializer;
import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The hop between the Kafka source and the router: one decoded turn written to a network buffer
 * and read back, in the job's form and, as the reference, in Flink's generic Avro form.
 */
public class TransportBenchmark extends HotPathBenchmark {
  private Ingested[] ingested;
  private final IngestedSerializer serializer = new IngestedSerializer();
  private final AvroSerializer<TurnEvent> avro = new AvroSerializer<>(TurnEvent.class);
  private final DataOutputSerializer out = new DataOutputSerializer(1024);
  private final DataInputDeserializer in = new DataInputDeserializer();
  private int next;

  @Setup
  public void setUp() {
    ingested = Samples.ingestedTurns();
  }

  private int nextIndex() {
    next = (next + 1) & (Samples.SIZE - 1);
    return next;
  }

  /** What the source writes and the router reads for each turn ({@link IngestedSerializer}). */
  @Benchmark
  public Object ingestedRoundTrip() throws IOException {
    out.clear();
    serializer.serialize(ingested[nextIndex()], out);
    in.setBuffer(out.getSharedBuffer(), 0, out.length());
    return serializer.deserialize(in);
  }

  /** The turn alone through Flink's AvroSerializer, which the job's form used before. */
  @Benchmark
  public Object avroSerializerRoundTrip() throws IOException {
    out.clear();
    avro.serialize(ingested[nextIndex()].turn, out);
    in.setBuffer(out.getSharedBuffer(), 0, out.length());
    return avro.deserialize(in);
  }
}
