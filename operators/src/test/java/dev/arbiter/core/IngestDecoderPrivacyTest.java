package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** user_id never gets past decoding: not into the admitted turn, not into a dead letter's bytes. */
class IngestDecoderPrivacyTest {
  private static final String USER = "jane.doe@example.com";
  private final IngestDecoder decoder = new IngestDecoder(86_400_000);

  @Test
  void admittedTurnCarriesNoUserId() {
    byte[] value = WireFormat.encode(TurnChecksTest.turn(b -> b.setUserId(USER)));
    assertThat(contains(value, USER)).as("the input itself carries the user id").isTrue();
    Ingested in = decoder.decode(value, "llm.turns", 0, 7, -1);
    assertThat(in.deadLetter).isNull();
    assertThat(in.turn.getUserId()).isNull();
    assertThat(in.turn.getUnitId()).isEqualTo("u");
  }

  @Test
  void rejectedTurnIsDeadLetteredWithoutItsUserId() {
    byte[] value = WireFormat.encode(TurnChecksTest.turn(b -> b.setUserId(USER).setLatencyMs(-5)));
    Ingested in = decoder.decode(value, "llm.turns", 1, 9, -1);
    assertThat(in.deadLetter.getReason()).isEqualTo("invalid_field");
    byte[] raw = bytes(in.deadLetter.getRaw());
    assertThat(contains(raw, USER)).isFalse();
    Decoded kept = WireFormat.decode(raw);
    assertThat(kept.record()).isInstanceOfSatisfying(TurnEvent.class, t -> {
      assertThat(t.getUserId()).isNull();
      assertThat(t.getRequestId()).isEqualTo("r");
      assertThat(t.getLatencyMs()).isEqualTo(-5);
    });
  }

  @Test
  void turnWithoutUserIdIsDeadLetteredAsReceived() {
    byte[] value = WireFormat.encode(TurnChecksTest.turn(b -> b.setLatencyMs(-5)));
    assertThat(bytes(decoder.decode(value, "llm.turns", 1, 9, -1).deadLetter.getRaw())).isEqualTo(value);
  }

  @Test
  void jsonLinesLoseTheirUserIdToo() {
    String valid = "{\"type\":\"turn\",\"experiment_id\":\"e\",\"variant_id\":\"a\",\"unit_id\":\"u\",\"request_id\":\"r\","
        + "\"user_id\":\"" + USER + "\",\"event_time\":1000,\"latency_ms\":900}";
    Ingested admitted = decoder.decodeJsonLine(valid, "events.jsonl", 1);
    assertThat(admitted.deadLetter).isNull();
    assertThat(admitted.turn.getUserId()).isNull();

    Ingested rejected = decoder.decodeJsonLine(valid.replace("900", "-900"), "events.jsonl", 2);
    assertThat(rejected.deadLetter).isNotNull();
    assertThat(new String(bytes(rejected.deadLetter.getRaw()), StandardCharsets.UTF_8)).doesNotContain(USER).contains("\"request_id\":\"r\"");
  }

  private static byte[] bytes(java.nio.ByteBuffer buffer) {
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return copy;
  }

  static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }
}
