package dev.arbiter.core;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.Rejection;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One input record after decoding: exactly one of the payload fields is set, a dead letter when
 * the record was rejected. Carries where it came from so a later rejection can still point at the
 * source offset. A Flink POJO (Avro fields serialize with Flink's Avro serializer, not Kryo).
 */
public class Ingested {
  /** Dead letters keep at most this much of the original record. */
  public static final int MAX_RAW_BYTES = 64 * 1024;
  /** Longest detail kept: a detail may quote a field, and a hostile field can be megabytes long. */
  public static final int MAX_DETAIL_CHARS = 1024;

  public TurnEvent turn;
  public OutcomeEvent outcome;
  public JudgeScoreEvent judge;
  public ExperimentDefinition definition;
  public DeadLetter deadLetter;

  public String sourceTopic;
  public int sourcePartition = -1;
  public long sourceOffset = -1;

  public Ingested() {}

  /** Experiment of the payload, null for dead letters and definitions. */
  public String experimentId() {
    if (turn != null) {
      return turn.getExperimentId();
    }
    if (outcome != null) {
      return outcome.getExperimentId();
    }
    return judge != null ? judge.getExperimentId() : null;
  }

  /** Event time of the payload; dead letters get Long.MIN_VALUE so they never move a watermark. */
  public long eventTime() {
    if (turn != null) {
      return turn.getEventTime();
    }
    if (outcome != null) {
      return outcome.getEventTime();
    }
    if (judge != null) {
      return judge.getEventTime();
    }
    return Long.MIN_VALUE;
  }

  public static Ingested rejected(
      Rejection rejection, String detail, byte[] raw, String topic, int partition, long offset,
      String experimentId, Long eventTime) {
    Ingested ingested = new Ingested();
    ingested.sourceTopic = topic;
    ingested.sourcePartition = partition;
    ingested.sourceOffset = offset;
    ingested.deadLetter = deadLetter(rejection, detail, raw, topic, partition, offset, experimentId, eventTime);
    return ingested;
  }

  public static DeadLetter deadLetter(
      Rejection rejection, String detail, byte[] raw, String topic, int partition, long offset,
      String experimentId, Long eventTime) {
    byte[] kept = raw == null ? new byte[0] : raw.length > MAX_RAW_BYTES ? Arrays.copyOf(raw, MAX_RAW_BYTES) : raw;
    // An experiment id too long to be one is left out, so a dead letter stays small whatever it reports.
    String experiment = experimentId == null || experimentId.length() > Plausibility.MAX_ID_LENGTH ? null : experimentId;
    String sentence = detail == null ? "" : detail.length() > MAX_DETAIL_CHARS ? detail.substring(0, MAX_DETAIL_CHARS) + "..." : detail;
    return DeadLetter.newBuilder()
        .setReason(rejection.code())
        .setDetail(sentence)
        .setSourceTopic(topic == null ? "" : topic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setExperimentId(experiment)
        .setEventTime(eventTime)
        .setRaw(ByteBuffer.wrap(kept))
        .build();
  }
}
