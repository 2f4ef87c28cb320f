package dev.arbiter.wire;

/**
 * Why a record was not admitted. The {@link #code()} is the machine-readable reason written to
 * DeadLetter.reason and used as the name of the per-reason dead-letter counter.
 */
public enum Rejection {
  EMPTY_RECORD("empty_record"),
  NOT_SINGLE_OBJECT_AVRO("not_single_object_avro"),
  UNKNOWN_SCHEMA("unknown_schema"),
  TRUNCATED("truncated"),
  MALFORMED_AVRO("malformed_avro"),
  INVALID_UTF8("invalid_utf8"),
  MALFORMED_JSON("malformed_json"),
  UNEXPECTED_RECORD_TYPE("unexpected_record_type"),
  MISSING_FIELD("missing_field"),
  INVALID_FIELD("invalid_field"),
  IMPLAUSIBLE_EVENT_TIME("implausible_event_time"),
  BEFORE_EXPERIMENT_START("before_experiment_start"),
  UNKNOWN_EXPERIMENT("unknown_experiment"),
  UNKNOWN_VARIANT("unknown_variant"),
  LATE_EVENT("late_event"),
  JUDGE_WITHOUT_UNIT("judge_without_unit"),
  OUTCOME_WITHOUT_TURNS("outcome_without_turns"),
  JUDGE_WITHOUT_TURN("judge_without_turn"),
  DUPLICATE_EVENT("duplicate_event"),
  INVALID_DEFINITION("invalid_definition");

  private final String code;

  Rejection(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
