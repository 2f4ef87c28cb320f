package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.core.Ingested;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.Rejection;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class IngestedSerializerTest {

  static Ingested at(Ingested in) {
    in.sourceTopic = "llm.turns";
    in.sourcePartition = 3;
    in.sourceOffset = 12_345;
    return in;
  }

  static List<Ingested> everyKind() {
    Ingested turn = at(new Ingested());
    turn.turn = TurnEvent.newBuilder().setExperimentId("e").setVariantId("treatment").setUnitId("u").setRequestId("r")
        .setEventTime(1_000_000).setLatencyMs(900).setCostUsd(0.002).setPromptTokens(10).setCompletionTokens(5)
        .setTtftMs(120.0).setSegments(Map.of("device", "mobile")).build();
    Ingested outcome = at(new Ingested());
    outcome.outcome = OutcomeEvent.newBuilder().setExperimentId("e").setVariantId("control").setUnitId("u")
        .setEventTime(1_000).setResolved(true).build();
    Ingested judge = at(new Ingested());
    judge.judge = JudgeScoreEvent.newBuilder().setExperimentId("e").setRequestId("r1").setUnitId("u").setEventTime(2_000)
        .setJudgeModel("j").setRubricVersion("1").setScores(Map.of("helpfulness", 4.0)).build();
    Ingested rejected = Ingested.rejected(Rejection.MALFORMED_AVRO, "not Avro", new byte[] {1, 2, 3}, "llm.turns", 1, 7, null, null);
    return List.of(turn, outcome, judge, rejected, new Ingested());
  }

  @Test
  void everyKindSurvivesTheRoundTrip() throws Exception {
    IngestedSerializer serializer = new IngestedSerializer();
    DataOutputSerializer out = new DataOutputSerializer(64);
    for (Ingested in : everyKind()) {
      serializer.serialize(in, out);
    }
    DataInputDeserializer back = new DataInputDeserializer(out.getCopyOfBuffer());
    for (Ingested in : everyKind()) {
      assertThat(serializer.deserialize(back)).usingRecursiveComparison().isEqualTo(in);
    }
    assertThat(back.available()).isZero();
  }

  @Test
  void copiesAreDeepAndDuplicatesIndependent() {
    IngestedSerializer serializer = new IngestedSerializer();
    Ingested turn = everyKind().get(0);
    Ingested copy = serializer.copy(turn);
    assertThat(copy).usingRecursiveComparison().isEqualTo(turn);
    assertThat(copy.turn).isNotSameAs(turn.turn);
    assertThat(serializer.duplicate()).isNotSameAs(serializer).isEqualTo(serializer);
    assertThat(serializer.snapshotConfiguration().restoreSerializer()).isEqualTo(serializer);
  }
}
