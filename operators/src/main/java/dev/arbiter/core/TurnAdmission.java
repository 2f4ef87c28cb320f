package dev.arbiter.core;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import java.util.List;
import java.util.function.Consumer;

/** Admits a checked turn into its experiment: one observation per window it counts in. */
public final class TurnAdmission {
  private TurnAdmission() {}

  /**
   * Emits the turn's observations, or returns the problem that keeps it out of the experiment.
   *
   * @return null when admitted
   */
  public static TurnChecks.Problem admit(Ingested ingested, ExperimentDefinition definition, Consumer<TurnObservation> out) {
    TurnEvent turn = ingested.turn;
    TurnChecks.Problem problem = TurnChecks.check(turn, definition);
    if (problem != null) {
      return problem;
    }
    long unitHash = UnitHash.of(turn.getUnitId());
    List<String> segments = Segments.of(turn.getSegments(), definition.getSegments());
    for (String segment : segments) {
      TurnObservation o = new TurnObservation();
      o.experimentId = turn.getExperimentId();
      o.variantId = turn.getVariantId();
      o.segment = segment;
      o.windowKey = TurnObservation.windowKey(o.experimentId, o.variantId, segment);
      o.definitionVersion = definition.getVersion();
      o.windowMs = definition.getWindowMs();
      o.allowedLatenessMs = definition.getAllowedLatenessMs();
      o.eventTime = turn.getEventTime();
      o.unitHash = unitHash;
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
        case warm -> TurnObservation.WARM;
        case cold -> TurnObservation.COLD;
        default -> TurnObservation.UNKNOWN_CACHE;
      };
      o.userFeedback = turn.getUserFeedback() == null ? TurnObservation.NO_FEEDBACK : turn.getUserFeedback();
      o.sourceTopic = ingested.sourceTopic;
      o.sourcePartition = ingested.sourcePartition;
      o.sourceOffset = ingested.sourceOffset;
      out.accept(o);
    }
    return null;
  }
}
