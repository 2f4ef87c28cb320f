package dev.arbiter.core;

import dev.arbiter.wire.Rejection;

/**
 * Decides whether an event of a unit was already counted. Producers retry, logs are replayed and
 * judge pipelines run twice; a repeated event that counted again would move rates and means. The
 * unit tracker keeps what was seen in per-unit state (with the unit's TTL); this class decides.
 * A turn is identified by its request id, an outcome by its unit (a unit ends once), and a judge
 * score by its request id and the axes it scores, so two judges of one turn on different axes
 * both count.
 */
public final class Duplicates {
  private Duplicates() {}

  /** The key under which a judge score is remembered; {@code axes} sorted, as {@link Admission} sorts them. */
  public static String judgeKey(String requestId, String[] axes) {
    return requestId + '|' + String.join(",", axes);
  }

  /** Null when the turn is new; the problem when its unit already served this request. */
  public static TurnChecks.Problem turn(String requestId, boolean served) {
    return served ? problem("turn of request '" + requestId + "' was already counted") : null;
  }

  /** Null when the unit has not ended yet; the problem when an outcome of the unit was already counted. */
  public static TurnChecks.Problem outcome(String unitId, UnitState unit) {
    return unit != null && unit.endTime >= 0
        ? problem("unit '" + unitId + "' already has an outcome (at event time " + unit.endTime + "); a unit ends once")
        : null;
  }

  /** Null when the score is new; the problem when the same request was already scored on the same axes. */
  public static TurnChecks.Problem judge(String requestId, String[] axes, boolean scored) {
    return scored
        ? problem("judge score of request '" + requestId + "' on " + String.join(", ", axes) + " was already counted")
        : null;
  }

  private static TurnChecks.Problem problem(String detail) {
    return new TurnChecks.Problem(Rejection.DUPLICATE_EVENT, detail);
  }
}
