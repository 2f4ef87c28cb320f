package dev.arbiter.operators;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.core.Ingested;
import java.io.IOException;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.ResolvingDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.utils.DataInputDecoder;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;
import org.apache.flink.types.StringValue;

/**
 * The form of an {@link Ingested} between the source and the router: a mask of the payloads
 * present, each in the form Flink's {@link AvroSerializer} writes, and the source position. The POJO serializer it
 * replaced built an empty Avro record of every payload type for each input record before reading
 * the one that was there. State of ingested records keeps the POJO serializer.
 *
 * <p>Turns, outcomes and judge scores, one per input record, are written and read by the coders
 * Avro generates into each record class ({@link EventCoder}): Flink's {@link AvroSerializer} walks
 * the schema for every record and boxes every field, which was a third of the source's and of the
 * router's work ({@code TransportBenchmark} in the bench module measures both). The bytes are the
 * same either way: both write through flink-avro's {@link DataOutputEncoder}.
 */
public final class IngestedSerializer extends TypeSerializer<Ingested> {
  private static final long serialVersionUID = 1L;

  private static final int TURN = 1;
  private static final int OUTCOME = 1 << 1;
  private static final int JUDGE = 1 << 2;
  private static final int DEFINITION = 1 << 3;
  private static final int DEAD_LETTER = 1 << 4;

  // Coders keep encoder state, so each copy of this serializer has its own (see duplicate); made
  // where the serializer runs, since the job graph ships serializers in Java serialization.
  private transient EventCoder<TurnEvent> turns;
  private transient EventCoder<OutcomeEvent> outcomes;
  private transient EventCoder<JudgeScoreEvent> judges;
  private final AvroSerializer<ExperimentDefinition> definitions = new AvroSerializer<>(ExperimentDefinition.class);
  private final AvroSerializer<DeadLetter> deadLetters = new AvroSerializer<>(DeadLetter.class);

  /** One event class through its generated {@code customEncode} and {@code customDecode}. */
  private static final class EventCoder<T extends SpecificRecordBase> {
    private final Class<T> type;
    private final Schema schema;
    private final Supplier<T> create;
    private final DataOutputEncoder encoder = new DataOutputEncoder();
    private final DataInputDecoder decoder = new DataInputDecoder();
    private ResolvingDecoder resolving;

    EventCoder(Class<T> type, Schema schema, Supplier<T> create) {
      this.type = type;
      this.schema = schema;
      this.create = create;
    }

    void serialize(T record, DataOutputView out) throws IOException {
      encoder.setOut(out);
      record.customEncode(encoder);
    }

    T deserialize(DataInputView in) throws IOException {
      decoder.setIn(in);
      if (resolving == null) {
        // Written and read with the same schema: the decoder only checks the order of the reads.
        resolving = DecoderFactory.get().resolvingDecoder(schema, schema, decoder);
      } else {
        resolving.configure(decoder);
      }
      T record = create.get();
      record.customDecode(resolving);
      resolving.drain();
      return record;
    }

    T copy(T record) {
      // The record class's own model: the default one may see other classes on a session cluster.
      return SpecificData.getForClass(type).deepCopy(schema, record);
    }
  }

  private EventCoder<TurnEvent> turns() {
    if (turns == null) {
      turns = new EventCoder<>(TurnEvent.class, TurnEvent.getClassSchema(), TurnEvent::new);
    }
    return turns;
  }

  private EventCoder<OutcomeEvent> outcomes() {
    if (outcomes == null) {
      outcomes = new EventCoder<>(OutcomeEvent.class, OutcomeEvent.getClassSchema(), OutcomeEvent::new);
    }
    return outcomes;
  }

  private EventCoder<JudgeScoreEvent> judges() {
    if (judges == null) {
      judges = new EventCoder<>(JudgeScoreEvent.class, JudgeScoreEvent.getClassSchema(), JudgeScoreEvent::new);
    }
    return judges;
  }

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<Ingested> duplicate() {
    return new IngestedSerializer();
  }

  @Override
  public Ingested createInstance() {
    return new Ingested();
  }

  @Override
  public Ingested copy(Ingested from) {
    Ingested copy = new Ingested();
    copy.turn = from.turn == null ? null : turns().copy(from.turn);
    copy.outcome = from.outcome == null ? null : outcomes().copy(from.outcome);
    copy.judge = from.judge == null ? null : judges().copy(from.judge);
    copy.definition = from.definition == null ? null : definitions.copy(from.definition);
    copy.deadLetter = from.deadLetter == null ? null : deadLetters.copy(from.deadLetter);
    copy.sourceTopic = from.sourceTopic;
    copy.sourcePartition = from.sourcePartition;
    copy.sourceOffset = from.sourceOffset;
    return copy;
  }

  @Override
  public Ingested copy(Ingested from, Ingested reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(Ingested in, DataOutputView out) throws IOException {
    int present = (in.turn != null ? TURN : 0) | (in.outcome != null ? OUTCOME : 0) | (in.judge != null ? JUDGE : 0)
        | (in.definition != null ? DEFINITION : 0) | (in.deadLetter != null ? DEAD_LETTER : 0);
    out.writeByte(present);
    if (in.turn != null) {
      turns().serialize(in.turn, out);
    }
    if (in.outcome != null) {
      outcomes().serialize(in.outcome, out);
    }
    if (in.judge != null) {
      judges().serialize(in.judge, out);
    }
    if (in.definition != null) {
      definitions.serialize(in.definition, out);
    }
    if (in.deadLetter != null) {
      deadLetters.serialize(in.deadLetter, out);
    }
    StringValue.writeString(in.sourceTopic, out);
    out.writeInt(in.sourcePartition);
    out.writeLong(in.sourceOffset);
  }

  @Override
  public Ingested deserialize(DataInputView source) throws IOException {
    Ingested in = new Ingested();
    int present = source.readByte();
    if ((present & TURN) != 0) {
      in.turn = turns().deserialize(source);
    }
    if ((present & OUTCOME) != 0) {
      in.outcome = outcomes().deserialize(source);
    }
    if ((present & JUDGE) != 0) {
      in.judge = judges().deserialize(source);
    }
    if ((present & DEFINITION) != 0) {
      in.definition = definitions.deserialize(source);
    }
    if ((present & DEAD_LETTER) != 0) {
      in.deadLetter = deadLetters.deserialize(source);
    }
    in.sourceTopic = StringValue.readString(source);
    in.sourcePartition = source.readInt();
    in.sourceOffset = source.readLong();
    return in;
  }

  @Override
  public Ingested deserialize(Ingested reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    serialize(deserialize(source), target);
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof IngestedSerializer;
  }

  @Override
  public int hashCode() {
    return IngestedSerializer.class.hashCode();
  }

  @Override
  public TypeSerializerSnapshot<Ingested> snapshotConfiguration() {
    return new Snapshot();
  }

  /** No parameters: the form follows the compiled Avro classes (it is never written to state). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<Ingested> {
    public Snapshot() {
      super(IngestedSerializer::new);
    }
  }
}
