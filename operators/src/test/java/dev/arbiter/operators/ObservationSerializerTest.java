package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.core.Observation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Random;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class ObservationSerializerTest {

  /** Every public field set to a random non-default value, so a field the serializer forgets fails the round trip. */
  static Observation everyFieldSet(long seed) throws IllegalAccessException {
    Random random = new Random(seed);
    Observation o = new Observation();
    for (Field field : Observation.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers())) {
        continue;
      }
      Class<?> type = field.getType();
      if (type == byte.class) {
        field.setByte(o, (byte) (1 + random.nextInt(100)));
      } else if (type == int.class) {
        field.setInt(o, 1 + random.nextInt(1_000_000));
      } else if (type == long.class) {
        field.setLong(o, 1 + random.nextLong(Long.MAX_VALUE - 1));
      } else if (type == double.class) {
        field.setDouble(o, random.nextDouble() * 1_000);
      } else if (type == boolean.class) {
        field.setBoolean(o, true);
      } else if (type == String.class) {
        field.set(o, "s\u00e9" + random.nextInt() + "\u001f\ud83d\ude00");
      } else if (type == String[].class) {
        field.set(o, new String[] {"a" + random.nextInt(), "", "b\u00fc"});
      } else if (type == double[].class) {
        field.set(o, new double[] {random.nextDouble(), -1.5});
      } else if (type == byte[].class) {
        byte[] bytes = new byte[1 + random.nextInt(64)];
        random.nextBytes(bytes);
        field.set(o, bytes);
      } else {
        throw new AssertionError("add field type " + type + " of Observation." + field.getName() + " to this test and the serializer");
      }
    }
    return o;
  }

  static Observation roundTrip(Observation o) throws Exception {
    DataOutputSerializer out = new DataOutputSerializer(64);
    ObservationSerializer.INSTANCE.serialize(o, out);
    Observation back = ObservationSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    return back;
  }

  @Test
  void everyFieldSurvivesTheRoundTrip() throws Exception {
    for (long seed = 1; seed <= 20; seed++) {
      Observation o = everyFieldSet(seed);
      assertThat(roundTrip(o)).usingRecursiveComparison().withComparatorForType(Double::compare, Double.class).isEqualTo(o);
    }
  }

  @Test
  void defaultsAndNullsSurviveTheRoundTrip() throws Exception {
    Observation empty = new Observation();
    assertThat(roundTrip(empty)).usingRecursiveComparison().withComparatorForType(Double::compare, Double.class).isEqualTo(empty);
    Observation arrays = new Observation();
    arrays.segments = new String[] {"*", null};
    arrays.judgeAxes = new String[0];
    arrays.judgeScores = new double[0];
    arrays.partialStats = new byte[0];
    assertThat(roundTrip(arrays)).usingRecursiveComparison().withComparatorForType(Double::compare, Double.class).isEqualTo(arrays);
  }

  @Test
  void aVeryLongIdIsNotCutOrRefused() throws Exception {
    Observation o = new Observation();
    o.requestId = "r".repeat(200_000);
    assertThat(roundTrip(o).requestId).isEqualTo(o.requestId);
  }

  @Test
  void aCopyIsDeepAndEqual() throws Exception {
    Observation o = everyFieldSet(7);
    Observation copy = ObservationSerializer.INSTANCE.copy(o);
    assertThat(copy).usingRecursiveComparison().withComparatorForType(Double::compare, Double.class).isEqualTo(o);
    assertThat(copy.segments).isNotSameAs(o.segments);
    assertThat(copy.partialStats).isNotSameAs(o.partialStats);
    assertThat(ObservationSerializer.INSTANCE.snapshotConfiguration().restoreSerializer()).isEqualTo(ObservationSerializer.INSTANCE);
    assertThat(ObservationTypeInfo.INSTANCE.createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()))
        .isSameAs(ObservationSerializer.INSTANCE);
  }
}
