package dev.arbiter.core;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.wire.Rejection;
import java.util.Map;

/** Field checks on a decoded turn; each failure names the field, the value and the bound. */
public final class TurnChecks {

  /** A failed check: the reason code and a sentence for people. */
  public record Problem(Rejection rejection, String detail) {}

  private TurnChecks() {}

  /** Checks that need no definition; null when the turn is sound. */
  public static Problem check(TurnEvent turn) {
    Problem problem = id("experiment_id", turn.getExperimentId());
    if (problem == null) problem = id("variant_id", turn.getVariantId());
    if (problem == null) problem = id("unit_id", turn.getUnitId());
    if (problem == null) problem = id("request_id", turn.getRequestId());
    if (problem != null) {
      return problem;
    }
    if (turn.getEventTime() <= 0) {
      return invalid("event_time", turn.getEventTime(), "a positive epoch millisecond");
    }
    if (!within(turn.getLatencyMs(), Plausibility.MAX_LATENCY_MS)) {
      return invalid("latency_ms", turn.getLatencyMs(), "a finite number in [0, " + (long) Plausibility.MAX_LATENCY_MS + "]");
    }
    if (turn.getTtftMs() != null && !within(turn.getTtftMs(), Plausibility.MAX_LATENCY_MS)) {
      return invalid("ttft_ms", turn.getTtftMs(), "a finite number in [0, " + (long) Plausibility.MAX_LATENCY_MS + "]");
    }
    if (turn.getTpotMs() != null && !within(turn.getTpotMs(), Plausibility.MAX_LATENCY_MS)) {
      return invalid("tpot_ms", turn.getTpotMs(), "a finite number in [0, " + (long) Plausibility.MAX_LATENCY_MS + "]");
    }
    if (!within(turn.getCostUsd(), Plausibility.MAX_COST_USD)) {
      return invalid("cost_usd", turn.getCostUsd(), "a finite number in [0, " + (long) Plausibility.MAX_COST_USD + "]");
    }
    if (turn.getPromptTokens() < 0 || turn.getPromptTokens() > Plausibility.MAX_TOKENS) {
      return invalid("prompt_tokens", turn.getPromptTokens(), "in [0, " + Plausibility.MAX_TOKENS + "]");
    }
    if (turn.getCompletionTokens() < 0 || turn.getCompletionTokens() > Plausibility.MAX_TOKENS) {
      return invalid("completion_tokens", turn.getCompletionTokens(), "in [0, " + Plausibility.MAX_TOKENS + "]");
    }
    if (turn.getTurnIndex() < 0) {
      return invalid("turn_index", turn.getTurnIndex(), "0 or more");
    }
    if (turn.getUserFeedback() != null && Math.abs(turn.getUserFeedback()) > 1) {
      return invalid("user_feedback", turn.getUserFeedback(), "-1, 0 or +1");
    }
    Map<String, String> segments = turn.getSegments();
    if (segments.size() > Plausibility.MAX_SEGMENT_ATTRIBUTES) {
      return invalid("segments", segments.size() + " attributes", "at most " + Plausibility.MAX_SEGMENT_ATTRIBUTES + " attributes");
    }
    for (Map.Entry<String, String> entry : segments.entrySet()) {
      if (entry.getKey().length() > Plausibility.MAX_SEGMENT_LENGTH || entry.getValue().length() > Plausibility.MAX_SEGMENT_LENGTH) {
        return new Problem(Rejection.INVALID_FIELD,
            "segment attribute '" + clip(entry.getKey()) + "' is longer than " + Plausibility.MAX_SEGMENT_LENGTH + " characters");
      }
    }
    return null;
  }

  /**
   * Checks of an outcome or a judge score that need no definition; null when sound. Without them an
   * outcome with an empty experiment id would wait for a definition that never comes, and one with
   * a wild event time would drag the watermark.
   */
  public static Problem checkLinked(String experimentId, String requestId, long eventTime) {
    Problem problem = id("experiment_id", experimentId);
    if (problem == null && requestId != null && requestId.length() > Plausibility.MAX_ID_LENGTH) {
      problem = id("request_id", requestId);
    }
    if (problem == null && eventTime <= 0) {
      problem = invalid("event_time", eventTime, "a positive epoch millisecond");
    }
    return problem;
  }

  /** Checks against the experiment's registered definition; null when the turn belongs to it. */
  public static Problem check(TurnEvent turn, ExperimentDefinition definition) {
    boolean knownVariant = false;
    for (VariantShare variant : definition.getVariants()) {
      if (variant.getId().equals(turn.getVariantId())) {
        knownVariant = true;
        break;
      }
    }
    if (!knownVariant) {
      return new Problem(Rejection.UNKNOWN_VARIANT, "variant '" + clip(turn.getVariantId()) + "' is not registered for experiment '"
          + definition.getExperimentId() + "' v" + definition.getVersion());
    }
    if (turn.getEventTime() < definition.getStartTime()) {
      return new Problem(Rejection.BEFORE_EXPERIMENT_START, "event_time " + turn.getEventTime()
          + " is before the experiment's start_time " + definition.getStartTime());
    }
    return null;
  }

  private static Problem id(String field, String value) {
    if (value == null || value.isBlank()) {
      return new Problem(Rejection.MISSING_FIELD, "field '" + field + "' must not be empty");
    }
    if (value.length() > Plausibility.MAX_ID_LENGTH) {
      return new Problem(Rejection.INVALID_FIELD,
          "field '" + field + "' is " + value.length() + " characters long; at most " + Plausibility.MAX_ID_LENGTH);
    }
    return null;
  }

  private static boolean within(double value, double max) {
    return Double.isFinite(value) && value >= 0 && value <= max;
  }

  private static Problem invalid(String field, Object value, String allowed) {
    return new Problem(Rejection.INVALID_FIELD, "field '" + field + "' is " + value + "; must be " + allowed);
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "..." : text;
  }
}
