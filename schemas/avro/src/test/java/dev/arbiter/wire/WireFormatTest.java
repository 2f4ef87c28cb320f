package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.TurnEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.Test;

class WireFormatTest {

  static TurnEvent turn() {
    return TurnEvent.newBuilder()
        .setExperimentId("support-bot-prompt-v2")
        .setVariantId("treatment")
        .setUnitId("conv-48291")
        .setRequestId("req-9")
        .setEventTime(1_763_800_000_000L)
        .setSegments(Map.of("device", "mobile"))
        .setLatencyMs(1100)
        .setCostUsd(0.0021)
        .setCacheState(CacheState.warm)
        .build();
  }

  @Test
  void roundTripsEveryRecordTypeThroughOneDecoder() {
    TurnEvent turn = turn();
    Decoded decoded = WireFormat.decode(WireFormat.encode(turn));
    assertThat(decoded.ok()).isTrue();
    assertThat(decoded.record()).isEqualTo(turn);

    ControlCommand command = ControlCommand.newBuilder()
        .setCommandId("c1").setExperimentId("e").setDefinitionVersion(1).setVariantId("treatment")
        .setSegment("*").setAction("ALERT").setEventTime(5L).build();
    assertThat(WireFormat.decode(WireFormat.encode(command)).record()).isEqualTo(command);
  }

  @Test
  void headerCarriesTheWriterSchemaFingerprint() {
    byte[] bytes = WireFormat.encode(turn());
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(WireFormat.fingerprint(bytes)).hasValue(
        org.apache.avro.SchemaNormalization.parsingFingerprint64(TurnEvent.getClassSchema()));
  }

  @Test
  void rejectsBytesThatAreNotSingleObjectAvro() {
    Decoded decoded = WireFormat.decode("{\"type\":\"turn\"}".getBytes());
    assertThat(decoded.ok()).isFalse();
    assertThat(decoded.rejection()).isEqualTo(Rejection.NOT_SINGLE_OBJECT_AVRO);
    assertThat(WireFormat.decode(new byte[0]).rejection()).isEqualTo(Rejection.EMPTY_RECORD);
  }

  @Test
  void rejectsTruncatedRecord() {
    byte[] bytes = WireFormat.encode(turn());
    Decoded decoded = WireFormat.decode(Arrays.copyOf(bytes, bytes.length - 12));
    assertThat(decoded.rejection()).isEqualTo(Rejection.TRUNCATED);
  }

  @Test
  void rejectsUnknownFingerprint() {
    byte[] bytes = WireFormat.encode(turn());
    bytes[5] ^= 0x5A;
    assertThat(WireFormat.decode(bytes).rejection()).isEqualTo(Rejection.UNKNOWN_SCHEMA);
  }

  @Test
  void everySchemaDocumentsEveryField() {
    List<String> undocumented = new ArrayList<>();
    Deque<Schema> todo = new ArrayDeque<>(WireFormat.CURRENT_SCHEMAS);
    while (!todo.isEmpty()) {
      Schema schema = todo.pop();
      if (schema.getDoc() == null || schema.getDoc().isBlank()) {
        undocumented.add(schema.getFullName());
      }
      for (Schema.Field field : schema.getFields()) {
        if (field.doc() == null || field.doc().isBlank()) {
          undocumented.add(schema.getName() + "." + field.name());
        }
        nestedRecords(field.schema(), todo);
      }
    }
    assertThat(undocumented).isEmpty();
  }

  private static void nestedRecords(Schema schema, Deque<Schema> todo) {
    switch (schema.getType()) {
      case RECORD -> todo.push(schema);
      case UNION -> schema.getTypes().forEach(s -> nestedRecords(s, todo));
      case ARRAY -> nestedRecords(schema.getElementType(), todo);
      case MAP -> nestedRecords(schema.getValueType(), todo);
      default -> { }
    }
  }

  @Test
  void olderWriterSchemasAreCompatibleAndDecode() throws Exception {
    List<Schema> older = WireFormat.SchemaHistory.olderSchemas();
    assertThat(older).isNotEmpty();
    for (Schema writer : older) {
      Schema reader = WireFormat.CURRENT_SCHEMAS.stream()
          .filter(s -> s.getFullName().equals(writer.getFullName())).findFirst().orElseThrow();
      assertThat(SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType())
          .as(writer.getFullName())
          .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }
    // A v1 TurnEvent written by an old producer decodes with the current reader.
    Schema v1 = older.stream().filter(s -> s.getName().equals("TurnEvent")).findFirst().orElseThrow();
    JsonNode json = JsonForm.JSON.readTree(
        "{\"experiment_id\":\"e\",\"variant_id\":\"control\",\"unit_id\":\"u\",\"request_id\":\"r\","
            + "\"event_time\":7,\"latency_ms\":12.5}");
    org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericData.Record(v1);
    for (Schema.Field f : v1.getFields()) {
      if (f.hasDefaultValue()) {
        old.put(f.name(), org.apache.avro.generic.GenericData.get().getDefaultValue(f));
      }
    }
    old.put("experiment_id", "e");
    old.put("variant_id", "control");
    old.put("unit_id", "u");
    old.put("request_id", "r");
    old.put("event_time", 7L);
    old.put("latency_ms", 12.5);
    byte[] bytes = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
        org.apache.avro.generic.GenericData.get(), v1).encode(old).array();
    Decoded decoded = WireFormat.decode(bytes);
    assertThat(decoded.ok()).as(String.valueOf(decoded.detail())).isTrue();
    TurnEvent turn = (TurnEvent) decoded.record();
    assertThat(turn.getLatencyMs()).isEqualTo(12.5);
    assertThat(turn.getCacheState()).isEqualTo(CacheState.unknown);
    assertThat(json.get("unit_id").asText()).isEqualTo(turn.getUnitId());
  }

  /** The turn's encoding with the bytes of {@code marker} (which must occur once) replaced by {@code bad}. */
  static byte[] withBytes(TurnEvent turn, String marker, byte[] bad) {
    byte[] bytes = WireFormat.encode(turn);
    byte[] find = marker.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(bad).hasSameSizeAs(find);
    for (int i = 0; i + find.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + find.length, find, 0, find.length)) {
        System.arraycopy(bad, 0, bytes, i, bad.length);
        return bytes;
      }
    }
    throw new AssertionError("marker not found");
  }

  @Test
  void rejectsInvalidUtf8InAStringFieldInsteadOfReplacingIt() {
    TurnEvent turn = TurnEvent.newBuilder(turn()).setUnitId("conv-####").build();
    Decoded decoded = WireFormat.decode(withBytes(turn, "####", new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0x80}));
    assertThat(decoded.ok()).isFalse();
    assertThat(decoded.rejection()).isEqualTo(Rejection.INVALID_UTF8);
    assertThat(decoded.detail()).contains("not valid UTF-8");
  }

  @Test
  void rejectsInvalidUtf8InAMapKeyAndAnEncodedSurrogate() {
    TurnEvent inKey = TurnEvent.newBuilder(turn()).setSegments(Map.of("dev###", "mobile")).build();
    // A lone high surrogate (U+D800) in UTF-8 form: Modified UTF-8 / CESU-8, not UTF-8.
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
    assertThat(WireFormat.decode(withBytes(inKey, "###", surrogate)).rejection()).isEqualTo(Rejection.INVALID_UTF8);
    TurnEvent inOptional = TurnEvent.newBuilder(turn()).setModelName("m###").build();
    assertThat(WireFormat.decode(withBytes(inOptional, "###", surrogate)).rejection()).isEqualTo(Rejection.INVALID_UTF8);
  }

  @Test
  void keepsEveryAsciiCharacterAndRejectsALoneContinuationByteAfterAscii() {
    StringBuilder ascii = new StringBuilder();
    for (char c = 0; c < 128; c++) {
      ascii.append(c);
    }
    TurnEvent turn = TurnEvent.newBuilder(turn()).setUnitId(ascii.toString()).build();
    assertThat(((TurnEvent) WireFormat.decode(WireFormat.encode(turn)).record()).getUnitId()).isEqualTo(ascii.toString());
    TurnEvent tail = TurnEvent.newBuilder(turn()).setUnitId("conv-0001#").build();
    assertThat(WireFormat.decode(withBytes(tail, "#", new byte[] {(byte) 0x80})).rejection()).isEqualTo(Rejection.INVALID_UTF8);
  }

  @Test
  void keepsValidMultiByteTextAndALiteralReplacementCharacter() {
    TurnEvent turn = TurnEvent.newBuilder(turn()).setUnitId("café-日本-\uFFFD-😀").build();
    Decoded decoded = WireFormat.decode(WireFormat.encode(turn));
    assertThat(decoded.ok()).as(String.valueOf(decoded.detail())).isTrue();
    assertThat(((TurnEvent) decoded.record()).getUnitId()).isEqualTo("café-日本-\uFFFD-😀");
  }
}
