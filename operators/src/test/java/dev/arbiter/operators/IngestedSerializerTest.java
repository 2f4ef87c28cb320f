package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.core.Ingested;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.Rejection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.util.InstantiationUtil;
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

  /** Every optional field set, a segment map of two, a non-default enum: what a full turn looks like. */
  static TurnEvent fullTurn() {
    return TurnEvent.newBuilder().setExperimentId("e").setVariantId("treatment").setUnitId("u").setConversationId("c")
        .setRequestId("r").setUserId("user").setTurnIndex(3).setEventTime(1_000_000).setSegments(Map.of("device", "mobile", "tier", "pro"))
        .setModelName("m").setPromptVersion("p7").setParamsDigest("d").setLatencyMs(900).setTtftMs(120.0).setTpotMs(8.5)
        .setPromptTokens(10).setCompletionTokens(5).setCostUsd(0.002).setError(true).setEmptyResponse(true).setSafetyFlag(true)
        .setCacheState(CacheState.cold).setUserFeedback(-1).setDisplayOrder(2).build();
  }

  @Test
  void eventsTravelInTheBytesFlinksAvroSerializerWrites() throws Exception {
    Ingested in = at(new Ingested());
    in.turn = fullTurn();
    DataOutputSerializer ours = new DataOutputSerializer(64);
    new IngestedSerializer().serialize(in, ours);
    DataOutputSerializer flinks = new DataOutputSerializer(64);
    new AvroSerializer<>(TurnEvent.class).serialize(in.turn, flinks);
    byte[] encoded = ours.getCopyOfBuffer();
    assertThat(Arrays.copyOfRange(encoded, 1, 1 + flinks.length())).isEqualTo(flinks.getCopyOfBuffer());
    Ingested back = new IngestedSerializer().deserialize(new DataInputDeserializer(encoded));
    assertThat(back.turn).isEqualTo(in.turn);
    assertThat(back).usingRecursiveComparison().isEqualTo(in);
  }

  /** A turn with every optional field null and no segments. */
  static TurnEvent bareTurn() {
    return TurnEvent.newBuilder().setExperimentId("e2").setVariantId("control").setUnitId("u2").setRequestId("r2")
        .setEventTime(2_000_000).setLatencyMs(1).setCostUsd(0).setPromptTokens(0).setCompletionTokens(0).setSegments(Map.of()).build();
  }

  @Test
  void oneSerializerReadsManyRecordsOfEachKindInARow() throws Exception {
    List<Ingested> stream = new ArrayList<>();
    for (TurnEvent turn : List.of(fullTurn(), bareTurn(), fullTurn(), bareTurn())) {
      Ingested in = at(new Ingested());
      in.turn = turn;
      stream.add(in);
    }
    stream.addAll(everyKind());
    stream.addAll(everyKind());
    IngestedSerializer serializer = new IngestedSerializer();
    DataOutputSerializer out = new DataOutputSerializer(64);
    for (Ingested in : stream) {
      serializer.serialize(in, out);
    }
    DataInputDeserializer back = new DataInputDeserializer(out.getCopyOfBuffer());
    for (Ingested in : stream) {
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

  @Test
  void aSerializerShippedInTheJobGraphStillWorks() throws Exception {
    IngestedSerializer serializer = new IngestedSerializer();
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(everyKind().get(0), out);
    // Flink ships serializers to the TaskManagers in Java serialization.
    IngestedSerializer shipped = InstantiationUtil.clone(serializer);
    assertThat(shipped.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()))).usingRecursiveComparison().isEqualTo(everyKind().get(0));
  }
}
