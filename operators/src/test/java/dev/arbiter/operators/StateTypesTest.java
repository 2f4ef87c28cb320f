package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.core.Ingested;
import dev.arbiter.core.Streak;
import dev.arbiter.core.Observation;
import dev.arbiter.core.WindowStats;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** Every type in state or on the wire has a real Flink serializer; none falls back to Kryo. */
class StateTypesTest {

  @Test
  void stateAndRecordClassesAreFlinkPojos() {
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(Streak.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(Observation.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(Ingested.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.arbiter.core.UnitState.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.arbiter.core.ControlHistory.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.arbiter.core.RateTally.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.arbiter.core.SampleRatioMonitor.class);
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.arbiter.core.SequentialMonitor.class);
  }

  @Test
  void windowStatsHaveTheirOwnSerializer() throws Exception {
    WindowStats stats = new WindowStats(60_000, 60_000, 0, 2);
    Observation turn = new Observation();
    turn.requestId = "r";
    turn.latencyMs = 1234;
    stats.add(turn, false);
    DataOutputSerializer out = new DataOutputSerializer(64);
    WindowStatsSerializer.INSTANCE.serialize(stats, out);
    WindowStats copy = WindowStatsSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(copy.metrics()).isEqualTo(stats.metrics());
    assertThat(WindowStatsSerializer.INSTANCE.snapshotConfiguration().restoreSerializer()).isEqualTo(WindowStatsSerializer.INSTANCE);
  }
}
