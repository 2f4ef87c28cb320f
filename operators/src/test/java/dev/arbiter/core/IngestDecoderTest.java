package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestDecoderTest {
  static final long NOW = 1_763_800_000_000L;
  static final long DAY = 86_400_000L;
  final IngestDecoder decoder = new IngestDecoder(DAY);

  static TurnEvent turn(String unit) {
    return TurnEvent.newBuilder().setExperimentId("e").setVariantId("control").setUnitId(unit).setRequestId("r1")
        .setEventTime(NOW).setSegments(Map.of("device", "mobile")).setLatencyMs(900).setCostUsd(0.001)
        .setCacheState(CacheState.warm).build();
  }

  @Test
  void invalidUtf8IsADeadLetterWithItsSourceAndRawBytes() {
    byte[] bytes = WireFormat.encode(turn("conv-%%"));
    byte[] marker = "%%".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + 1 < bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + 2, marker, 0, 2)) {
        bytes[i] = (byte) 0xC3;
        bytes[i + 1] = (byte) 0x28;
      }
    }
    Ingested in = decoder.decode(bytes, "llm.turns", 1, 42, NOW);
    assertThat(in.deadLetter).isNotNull();
    assertThat(in.deadLetter.getReason()).isEqualTo("invalid_utf8");
    assertThat(in.deadLetter.getSourceOffset()).isEqualTo(42);
    assertThat(in.deadLetter.getRaw().remaining()).isEqualTo(bytes.length);
  }

  @Test
  void outcomesAndJudgeScoresWithImplausibleEventTimesNeverReachTheWatermark() {
    OutcomeEvent outcome = OutcomeEvent.newBuilder().setExperimentId("e").setVariantId("control").setUnitId("u")
        .setEventTime(NOW + 3 * 365 * DAY).setResolved(true).build();
    assertThat(decoder.decode(WireFormat.encode(outcome), "llm.outcomes", 0, 1, NOW).deadLetter.getReason())
        .isEqualTo("implausible_event_time");
    JudgeScoreEvent judge = JudgeScoreEvent.newBuilder().setExperimentId("e").setRequestId("r1").setUnitId("u")
        .setEventTime(NOW - 2 * DAY).setJudgeModel("j").setRubricVersion("1").setScores(Map.of("helpfulness", 4.0)).build();
    assertThat(decoder.decode(WireFormat.encode(judge), "llm.judge-scores", 0, 1, NOW).deadLetter.getReason())
        .isEqualTo("implausible_event_time");
    assertThat(decoder.decode(WireFormat.encode(OutcomeEvent.newBuilder(outcome).setEventTime(NOW).build()), "llm.outcomes", 0, 2, NOW)
        .outcome).isNotNull();
  }

  @Test
  void anOutcomeWithoutExperimentIsAMissingFieldNotAnUnknownExperiment() {
    OutcomeEvent outcome = OutcomeEvent.newBuilder().setExperimentId("").setVariantId("control").setUnitId("u")
        .setEventTime(NOW).setResolved(true).build();
    assertThat(decoder.decode(WireFormat.encode(outcome), "llm.outcomes", 0, 1, NOW).deadLetter.getReason())
        .isEqualTo("missing_field");
  }

  @Test
  void aHugeIdIsRejectedAndTheDeadLetterStaysSmall() {
    String huge = "x".repeat(10 * 1024 * 1024);
    TurnEvent turn = TurnEvent.newBuilder(turn("u")).setExperimentId(huge).build();
    Ingested in = decoder.decode(WireFormat.encode(turn), "llm.turns", 0, 7, NOW);
    assertThat(in.deadLetter.getReason()).isEqualTo("invalid_field");
    assertThat(in.deadLetter.getExperimentId()).isNull();
    assertThat(in.deadLetter.getRaw().remaining()).isEqualTo(Ingested.MAX_RAW_BYTES);
    assertThat(in.deadLetter.getDetail().length()).isLessThanOrEqualTo(Ingested.MAX_DETAIL_CHARS + 3);
  }
}
