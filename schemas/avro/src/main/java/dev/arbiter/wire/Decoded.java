package dev.arbiter.wire;

import org.apache.avro.specific.SpecificRecord;

/** The outcome of decoding one record: the record, or the reason it was rejected. */
public record Decoded(SpecificRecord record, Rejection rejection, String detail) {

  public static Decoded of(SpecificRecord record) {
    return new Decoded(record, null, null);
  }

  public static Decoded rejected(Rejection rejection, String detail) {
    return new Decoded(null, rejection, detail);
  }

  public boolean ok() {
    return record != null;
  }
}
