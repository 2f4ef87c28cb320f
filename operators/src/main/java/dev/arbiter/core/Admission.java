package dev.arbiter.core;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.wire.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Admits a decoded event into its registered experiment: checks it against the definition and
 * turns it into one unit-level {@link Observation} carrying the definition's windowing. The unit
 * tracker then places it in its windows.
 */
public final class Admission {
  private static final Pattern AXIS = Pattern.compile("[A-Za-z0-9_]{1,64}");
  static final int MAX_JUDGE_AXES = 32;

  /** The observation, or the problem that keeps the event out. */
  public record Result(Observation observation, TurnChecks.Problem problem) {}

  private Admission() {}

  public static Result admit(Ingested in, ExperimentDefinition definition) {
    if (in.turn != null) {
      return turn(in, definition);
    }
    if (in.outcome != null) {
      return outcome(in, definition);
    }
    return judge(in, definition);
  }

  private static Result turn(Ingested in, ExperimentDefinition definition) {
    TurnEvent turn = in.turn;
    TurnChecks.Problem problem = TurnChecks.check(turn, definition);
    if (problem != null) {
      return new Result(null, problem);
    }
    Observation o = base(in, definition, turn.getExperimentId(), turn.getUnitId(), turn.getEventTime());
    o.kind = Observation.TURN;
    o.variantId = turn.getVariantId();
    o.segments = Segments.of(turn.getSegments(), definition.getSegments()).toArray(new String[0]);
    o.requestId = turn.getRequestId();
    o.latencyMs = turn.getLatencyMs();
    o.ttftMs = turn.getTtftMs() == null ? Double.NaN : turn.getTtftMs();
    o.tpotMs = turn.getTpotMs() == null ? Double.NaN : turn.getTpotMs();
    o.costUsd = turn.getCostUsd();
    o.promptTokens = turn.getPromptTokens();
    o.completionTokens = turn.getCompletionTokens();
    o.error = turn.getError();
    o.emptyResponse = turn.getEmptyResponse();
    o.unsafe = turn.getSafetyFlag();
    o.cacheState = switch (turn.getCacheState()) {
      case warm -> Observation.WARM;
      case cold -> Observation.COLD;
      default -> Observation.UNKNOWN_CACHE;
    };
    o.userFeedback = turn.getUserFeedback() == null ? Observation.NO_FEEDBACK : turn.getUserFeedback();
    o.assignmentMismatch = !assignedVariant(definition, turn.getUnitId()).equals(turn.getVariantId());
    return new Result(o, null);
  }

  private static Result outcome(Ingested in, ExperimentDefinition definition) {
    OutcomeEvent outcome = in.outcome;
    TurnChecks.Problem problem = common(outcome.getUnitId(), outcome.getEventTime(), definition);
    if (problem != null) {
      return new Result(null, problem);
    }
    Observation o = base(in, definition, outcome.getExperimentId(), outcome.getUnitId(), outcome.getEventTime());
    o.kind = Observation.OUTCOME;
    o.resolved = outcome.getResolved();
    o.humanHandoff = outcome.getHumanHandoff();
    return new Result(o, null);
  }

  private static Result judge(Ingested in, ExperimentDefinition definition) {
    JudgeScoreEvent judge = in.judge;
    if (judge.getUnitId() == null || judge.getUnitId().isBlank()) {
      return new Result(null, new TurnChecks.Problem(Rejection.JUDGE_WITHOUT_UNIT,
          "judge score of request '" + judge.getRequestId() + "' has no unit_id; the join to its turn needs it"));
    }
    TurnChecks.Problem problem = common(judge.getUnitId(), judge.getEventTime(), definition);
    if (problem == null && (judge.getRequestId() == null || judge.getRequestId().isBlank())) {
      problem = new TurnChecks.Problem(Rejection.MISSING_FIELD, "field 'request_id' must not be empty");
    }
    if (problem == null) {
      problem = scores(judge.getScores());
    }
    if (problem != null) {
      return new Result(null, problem);
    }
    Observation o = base(in, definition, judge.getExperimentId(), judge.getUnitId(), judge.getEventTime());
    o.kind = Observation.JUDGE;
    o.requestId = judge.getRequestId();
    TreeMap<String, Double> sorted = new TreeMap<>(judge.getScores());
    o.judgeAxes = sorted.keySet().toArray(new String[0]);
    o.judgeScores = sorted.values().stream().mapToDouble(Double::doubleValue).toArray();
    return new Result(o, null);
  }

  private static TurnChecks.Problem common(String unitId, long eventTime, ExperimentDefinition definition) {
    if (unitId == null || unitId.isBlank()) {
      return new TurnChecks.Problem(Rejection.MISSING_FIELD, "field 'unit_id' must not be empty");
    }
    if (unitId.length() > Plausibility.MAX_ID_LENGTH) {
      return new TurnChecks.Problem(Rejection.INVALID_FIELD, "field 'unit_id' is " + unitId.length() + " characters long; at most "
          + Plausibility.MAX_ID_LENGTH);
    }
    if (eventTime < definition.getStartTime()) {
      return new TurnChecks.Problem(Rejection.BEFORE_EXPERIMENT_START, "event_time " + eventTime
          + " is before the experiment's start_time " + definition.getStartTime());
    }
    return null;
  }

  private static TurnChecks.Problem scores(Map<String, Double> scores) {
    if (scores.isEmpty() || scores.size() > MAX_JUDGE_AXES) {
      return new TurnChecks.Problem(Rejection.INVALID_FIELD, "field 'scores' must hold 1 to " + MAX_JUDGE_AXES + " axes, got " + scores.size());
    }
    for (Map.Entry<String, Double> score : scores.entrySet()) {
      if (!AXIS.matcher(score.getKey()).matches()) {
        return new TurnChecks.Problem(Rejection.INVALID_FIELD, "judge axis '" + clip(score.getKey()) + "' must be 1 to 64 letters, digits or _");
      }
      if (score.getValue() == null || !Double.isFinite(score.getValue())) {
        return new TurnChecks.Problem(Rejection.INVALID_FIELD, "judge score '" + score.getKey() + "' must be a finite number");
      }
    }
    return null;
  }

  private static Observation base(Ingested in, ExperimentDefinition definition, String experimentId, String unitId, long eventTime) {
    Observation o = new Observation();
    o.experimentId = experimentId;
    o.unitId = unitId;
    o.unitHash = UnitHash.of(unitId);
    o.definitionVersion = definition.getVersion();
    o.windowMs = definition.getWindowMs();
    o.allowedLatenessMs = definition.getAllowedLatenessMs();
    o.eventTime = eventTime;
    o.sourceTopic = in.sourceTopic;
    o.sourcePartition = in.sourcePartition;
    o.sourceOffset = in.sourceOffset;
    return o;
  }

  /** The variant the deterministic assignment gives a unit under this definition. */
  public static String assignedVariant(ExperimentDefinition definition, String unitId) {
    List<Double> shares = new ArrayList<>(definition.getVariants().size());
    for (VariantShare variant : definition.getVariants()) {
      shares.add(variant.getShare());
    }
    return definition.getVariants().get(Assignment.variantIndex(definition.getAssignmentSalt(), unitId, shares)).getId();
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "..." : text;
  }
}
