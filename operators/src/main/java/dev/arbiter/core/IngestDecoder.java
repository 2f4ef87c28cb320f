package dev.arbiter.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.Rejection;
import dev.arbiter.wire.WireFormat;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;

/**
 * Turns raw input (Kafka record values or JSON lines) into {@link Ingested}: a checked payload or
 * a dead letter with a reason. Runs before watermarks are assigned, so an implausible event time
 * is rejected before it can drag the watermark and make every valid event late.
 *
 * <p>Privacy: a turn's {@code user_id} is removed here. Nothing downstream needs it, so it is in
 * no state and no output; only a record that does not decode at all is dead-lettered as received.
 */
public final class IngestDecoder implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Set<String> TYPE_FIELD = Set.of("type");
  private static final String USER_ID = "user_id";

  private final long maxEventTimeSkewMs;

  /** @param maxEventTimeSkewMs largest accepted distance between event time and the Kafka record timestamp */
  public IngestDecoder(long maxEventTimeSkewMs) {
    this.maxEventTimeSkewMs = maxEventTimeSkewMs;
  }

  /** Decodes one Kafka record value; {@code recordTimestamp} below 0 means unknown. */
  public Ingested decode(byte[] value, String topic, int partition, long offset, long recordTimestamp) {
    Decoded decoded = WireFormat.decode(value);
    if (!decoded.ok()) {
      return Ingested.rejected(decoded.rejection(), decoded.detail(), value, topic, partition, offset, null, null);
    }
    if (decoded.record() instanceof TurnEvent turn && turn.getUserId() != null) {
      // The job never uses user_id: it is dropped here, before state or a dead letter could hold it,
      // and a rejected turn's dead letter keeps the turn re-encoded without it.
      turn.setUserId(null);
      return admit(turn, WireFormat.encode(turn), topic, partition, offset, recordTimestamp);
    }
    return admit(decoded.record(), value, topic, partition, offset, recordTimestamp);
  }

  /**
   * Decodes one JSON line of a backtest file: {@code {"type":"turn"|"outcome"|"judge", ...}} with
   * the Avro field names. The line number stands in for the offset.
   */
  public Ingested decodeJsonLine(String line, String file, long lineNumber) {
    byte[] raw = line.getBytes(StandardCharsets.UTF_8);
    JsonNode node;
    try {
      node = JsonForm.JSON.readTree(line);
    } catch (Exception e) {
      return Ingested.rejected(Rejection.MALFORMED_JSON, firstLine(e.getMessage()), raw, file, -1, lineNumber, null, null);
    }
    if (node == null || !node.isObject()) {
      return Ingested.rejected(Rejection.MALFORMED_JSON, "a line must hold one JSON object", raw, file, -1, lineNumber, null, null);
    }
    if (node.has(USER_ID)) {
      // As for Kafka records: user_id is dropped before anything keeps the line.
      ((com.fasterxml.jackson.databind.node.ObjectNode) node).remove(USER_ID);
      raw = node.toString().getBytes(StandardCharsets.UTF_8);
    }
    String type = node.path("type").asText("turn");
    org.apache.avro.Schema schema = switch (type) {
      case "turn" -> TurnEvent.getClassSchema();
      case "outcome" -> OutcomeEvent.getClassSchema();
      case "judge" -> JudgeScoreEvent.getClassSchema();
      default -> null;
    };
    if (schema == null) {
      return Ingested.rejected(Rejection.UNEXPECTED_RECORD_TYPE,
          "type '" + type + "' is not one of turn, outcome, judge", raw, file, -1, lineNumber, null, null);
    }
    try {
      SpecificRecord record = JsonForm.fromJson(node, schema, TYPE_FIELD, false);
      return admit(record, raw, file, -1, lineNumber, -1);
    } catch (JsonForm.JsonFormException e) {
      return Ingested.rejected(e.rejection(), e.getMessage(), raw, file, -1, lineNumber,
          node.path("experiment_id").isTextual() ? node.get("experiment_id").asText() : null, null);
    }
  }

  private Ingested admit(SpecificRecord record, byte[] raw, String topic, int partition, long offset, long recordTimestamp) {
    Ingested ingested = new Ingested();
    ingested.sourceTopic = topic;
    ingested.sourcePartition = partition;
    ingested.sourceOffset = offset;
    if (record instanceof TurnEvent turn) {
      TurnChecks.Problem problem = TurnChecks.check(turn);
      if (problem == null) {
        problem = skew(turn.getEventTime(), recordTimestamp);
      }
      if (problem != null) {
        return Ingested.rejected(problem.rejection(), problem.detail(), raw, topic, partition, offset,
            turn.getExperimentId(), turn.getEventTime());
      }
      ingested.turn = turn;
    } else if (record instanceof OutcomeEvent outcome) {
      TurnChecks.Problem problem = linked(outcome.getExperimentId(), null, outcome.getEventTime(), recordTimestamp);
      if (problem != null) {
        return Ingested.rejected(problem.rejection(), problem.detail(), raw, topic, partition, offset,
            outcome.getExperimentId(), outcome.getEventTime());
      }
      ingested.outcome = outcome;
    } else if (record instanceof JudgeScoreEvent judge) {
      TurnChecks.Problem problem = linked(judge.getExperimentId(), judge.getRequestId(), judge.getEventTime(), recordTimestamp);
      if (problem != null) {
        return Ingested.rejected(problem.rejection(), problem.detail(), raw, topic, partition, offset,
            judge.getExperimentId(), judge.getEventTime());
      }
      ingested.judge = judge;
    } else if (record instanceof ExperimentDefinition definition) {
      ingested.definition = definition;
    } else {
      return Ingested.rejected(Rejection.UNEXPECTED_RECORD_TYPE,
          record.getSchema().getName() + " is an output record, not an input", raw, topic, partition, offset, null, null);
    }
    return ingested;
  }

  private TurnChecks.Problem linked(String experimentId, String requestId, long eventTime, long recordTimestamp) {
    TurnChecks.Problem problem = TurnChecks.checkLinked(experimentId, requestId, eventTime);
    return problem != null ? problem : skew(eventTime, recordTimestamp);
  }

  private TurnChecks.Problem skew(long eventTime, long recordTimestamp) {
    if (recordTimestamp < 0 || Math.abs(eventTime - recordTimestamp) <= maxEventTimeSkewMs) {
      return null;
    }
    return new TurnChecks.Problem(Rejection.IMPLAUSIBLE_EVENT_TIME, "event_time " + eventTime + " is "
        + Math.abs(eventTime - recordTimestamp) / 1000 + " s away from the record's Kafka timestamp " + recordTimestamp
        + "; at most " + maxEventTimeSkewMs / 1000 + " s allowed");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "not JSON";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
