package dev.arbiter.wire;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.WindowSummary;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * Arbiter's wire format: Avro single-object encoding (magic bytes C3 01, the 8-byte little-endian
 * CRC-64-AVRO fingerprint of the writer schema, then the binary body). The fingerprint names the
 * writer schema, so one topic may carry several record types and readers resolve older writer
 * schemas without a registry. Older writer schemas that must still decode live under
 * {@code avro-history/} on the classpath and are listed in {@code avro-history/index.txt}.
 */
public final class WireFormat {

  /** The record types Arbiter reads and writes, in their current versions. */
  public static final List<Schema> CURRENT_SCHEMAS =
      List.of(
          TurnEvent.getClassSchema(),
          OutcomeEvent.getClassSchema(),
          JudgeScoreEvent.getClassSchema(),
          ExperimentDefinition.getClassSchema(),
          WindowSummary.getClassSchema(),
          RuleVerdict.getClassSchema(),
          SequentialLook.getClassSchema(),
          ControlCommand.getClassSchema(),
          DeadLetter.getClassSchema());

  private static final byte MAGIC_0 = (byte) 0xC3;
  private static final byte MAGIC_1 = (byte) 0x01;
  private static final int HEADER_LENGTH = 10;

  /** Readers by writer-schema fingerprint: each resolves its writer schema to the current reader schema. */
  private static final Map<Long, DatumReader<SpecificRecord>> READERS = buildReaders();

  /**
   * One encoder per schema: an encoder computes the schema's fingerprint when it is built, which
   * cost more than encoding the record. Encoders are thread-safe.
   */
  private static final Map<Schema, BinaryMessageEncoder<? extends SpecificRecord>> ENCODERS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private WireFormat() {}

  /** Encodes a record in single-object encoding. */
  public static byte[] encode(SpecificRecord record) {
    @SuppressWarnings({"unchecked", "rawtypes"})
    BinaryMessageEncoder<SpecificRecord> encoder = (BinaryMessageEncoder) ENCODERS.computeIfAbsent(record.getSchema(),
        schema -> new BinaryMessageEncoder<>(SpecificData.getForSchema(schema), schema));
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + record.getSchema().getFullName(), e);
    }
  }

  /** The schema fingerprint in a single-object-encoded message, or empty when there is no header. */
  public static java.util.OptionalLong fingerprint(byte[] bytes) {
    if (bytes == null || bytes.length < HEADER_LENGTH || bytes[0] != MAGIC_0 || bytes[1] != MAGIC_1) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.of(
        ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
  }

  /**
   * Decodes any record type Arbiter knows, resolving older writer schemas to the current reader.
   * Never throws: a record that cannot be decoded yields a rejection with a machine-readable reason.
   */
  public static Decoded decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return Decoded.rejected(Rejection.EMPTY_RECORD, "the record has no value bytes");
    }
    java.util.OptionalLong fingerprint = fingerprint(bytes);
    if (fingerprint.isEmpty()) {
      return Decoded.rejected(
          Rejection.NOT_SINGLE_OBJECT_AVRO,
          "expected Avro single-object encoding (header C3 01 + 8-byte schema fingerprint)");
    }
    DatumReader<SpecificRecord> reader = READERS.get(fingerprint.getAsLong());
    if (reader == null) {
      return Decoded.rejected(
          Rejection.UNKNOWN_SCHEMA,
          "schema fingerprint " + Long.toHexString(fingerprint.getAsLong()) + " is not a known Arbiter schema");
    }
    try {
      BinaryDecoder body = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, null);
      return Decoded.of(reader.read(null, new StrictUtf8Decoder(body)));
    } catch (StrictUtf8Decoder.InvalidUtf8 e) {
      return Decoded.rejected(Rejection.INVALID_UTF8, e.getMessage());
    } catch (EOFException e) {
      return Decoded.rejected(Rejection.TRUNCATED, "the record ends before its schema does");
    } catch (IOException | AvroRuntimeException | ArrayIndexOutOfBoundsException
        | NegativeArraySizeException | IllegalArgumentException e) {
      if (endedEarly(e)) {
        return Decoded.rejected(Rejection.TRUNCATED, "the record ends before its schema does");
      }
      return Decoded.rejected(Rejection.MALFORMED_AVRO, describe(e));
    } catch (OutOfMemoryError e) {
      return Decoded.rejected(Rejection.MALFORMED_AVRO, "a length prefix asks for more memory than exists");
    }
  }

  /** A resolving decoder may wrap the binary decoder's EOFException; unwrap to tell truncation apart. */
  private static boolean endedEarly(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof EOFException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    Throwable cause = e.getCause() != null && e.getCause() != e ? e.getCause() : e;
    if (cause != e) {
      return describe(cause);
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static Map<Long, DatumReader<SpecificRecord>> buildReaders() {
    Map<Long, DatumReader<SpecificRecord>> readers = new HashMap<>();
    Map<String, Schema> byName = new HashMap<>();
    for (Schema schema : CURRENT_SCHEMAS) {
      byName.put(schema.getFullName(), schema);
      readers.put(SchemaNormalization.parsingFingerprint64(schema), reader(schema, schema));
    }
    for (Schema older : SchemaHistory.olderSchemas()) {
      Schema current = byName.get(older.getFullName());
      if (current == null) {
        throw new IllegalStateException("avro-history holds " + older.getFullName() + ", which is no current schema");
      }
      readers.put(SchemaNormalization.parsingFingerprint64(older), reader(older, current));
    }
    return Map.copyOf(readers);
  }

  /** Datum readers are shared across threads, as Avro's own message decoder shares them. */
  private static DatumReader<SpecificRecord> reader(Schema writer, Schema current) {
    return new SpecificDatumReader<>(writer, current, SpecificData.getForSchema(current));
  }

  /** Older writer schemas that readers must still accept. */
  public static final class SchemaHistory {
    private SchemaHistory() {}

    public static List<Schema> olderSchemas() {
      ClassLoader loader = WireFormat.class.getClassLoader();
      try (InputStream index = loader.getResourceAsStream("avro-history/index.txt")) {
        if (index == null) {
          return List.of();
        }
        List<Schema> schemas = new java.util.ArrayList<>();
        for (String line : new String(index.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
          String name = line.strip();
          if (name.isEmpty() || name.startsWith("#")) {
            continue;
          }
          try (InputStream in = loader.getResourceAsStream("avro-history/" + name)) {
            if (in == null) {
              throw new IllegalStateException("avro-history/index.txt names missing file " + name);
            }
            schemas.add(new Schema.Parser().parse(in));
          }
        }
        return schemas;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
