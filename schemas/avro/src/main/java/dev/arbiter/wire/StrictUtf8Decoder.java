package dev.arbiter.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A binary decoder that refuses strings that are not valid UTF-8. Avro's own decoder replaces
 * such bytes with U+FFFD, which would let two different ids collapse into one and hide a producer
 * bug; Arbiter rejects the record instead. Every other call is passed through unchanged.
 */
final class StrictUtf8Decoder extends Decoder {

  /** Thrown while decoding a string whose bytes are not valid UTF-8. */
  static final class InvalidUtf8 extends AvroRuntimeException {
    InvalidUtf8(String message) {
      super(message);
    }
  }

  private static final ThreadLocal<CharsetDecoder> UTF8 = ThreadLocal.withInitial(() -> StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT));

  private final Decoder in;

  StrictUtf8Decoder(Decoder in) {
    this.in = in;
  }

  @Override
  public Utf8 readString(Utf8 old) throws IOException {
    Utf8 utf8 = in.readString(old);
    if (!ascii(utf8)) {
      check(utf8);
    }
    return utf8;
  }

  @Override
  public String readString() throws IOException {
    Utf8 utf8 = in.readString(null);
    // Ids and labels are nearly always ASCII, which is valid UTF-8 byte for byte: no decoder needed.
    return ascii(utf8) ? new String(utf8.getBytes(), 0, utf8.getByteLength(), StandardCharsets.US_ASCII) : check(utf8);
  }

  private static boolean ascii(Utf8 utf8) {
    byte[] bytes = utf8.getBytes();
    for (int i = 0, n = utf8.getByteLength(); i < n; i++) {
      if (bytes[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static String check(Utf8 utf8) {
    try {
      CharBuffer chars = UTF8.get().reset().decode(ByteBuffer.wrap(utf8.getBytes(), 0, utf8.getByteLength()));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new InvalidUtf8("a string of " + utf8.getByteLength() + " bytes is not valid UTF-8 (" + e.getMessage() + ")");
    }
  }

  @Override
  public void readNull() throws IOException {
    in.readNull();
  }

  @Override
  public boolean readBoolean() throws IOException {
    return in.readBoolean();
  }

  @Override
  public int readInt() throws IOException {
    return in.readInt();
  }

  @Override
  public long readLong() throws IOException {
    return in.readLong();
  }

  @Override
  public float readFloat() throws IOException {
    return in.readFloat();
  }

  @Override
  public double readDouble() throws IOException {
    return in.readDouble();
  }

  @Override
  public void skipString() throws IOException {
    in.skipString();
  }

  @Override
  public ByteBuffer readBytes(ByteBuffer old) throws IOException {
    return in.readBytes(old);
  }

  @Override
  public void skipBytes() throws IOException {
    in.skipBytes();
  }

  @Override
  public void readFixed(byte[] bytes, int start, int length) throws IOException {
    in.readFixed(bytes, start, length);
  }

  @Override
  public void skipFixed(int length) throws IOException {
    in.skipFixed(length);
  }

  @Override
  public int readEnum() throws IOException {
    return in.readEnum();
  }

  @Override
  public long readArrayStart() throws IOException {
    return in.readArrayStart();
  }

  @Override
  public long arrayNext() throws IOException {
    return in.arrayNext();
  }

  @Override
  public long skipArray() throws IOException {
    return in.skipArray();
  }

  @Override
  public long readMapStart() throws IOException {
    return in.readMapStart();
  }

  @Override
  public long mapNext() throws IOException {
    return in.mapNext();
  }

  @Override
  public long skipMap() throws IOException {
    return in.skipMap();
  }

  @Override
  public int readIndex() throws IOException {
    return in.readIndex();
  }
}
