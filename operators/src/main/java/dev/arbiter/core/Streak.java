package dev.arbiter.core;

/**
 * The persistence state of one (rule, variant, segment). A Flink POJO kept in keyed state.
 *
 * <p>Breached windows extend the streak; the first breaches raise ALERT, and the rule's action
 * fires once when the streak reaches {@code consecutive_windows}. A clean window ends a streak
 * still building. After the action the rule stays quiet (the action already told the control
 * plane) until {@code recovery_windows} consecutive clean windows re-arm it. Inconclusive
 * windows change nothing.
 */
public class Streak {

  /** What a window did to the streak. */
  public enum Step {
    NONE,
    ALERT,
    ACT
  }

  public int breaches;
  public int cleanRun;
  public boolean actionFired;

  public Streak() {}

  public Step record(Verdict.Kind verdict, int consecutiveWindows, int recoveryWindows) {
    switch (verdict) {
      case INCONCLUSIVE:
        return Step.NONE;
      case CLEAN:
        cleanRun++;
        if (!actionFired) {
          breaches = 0;
        } else if (cleanRun >= Math.max(1, recoveryWindows)) {
          breaches = 0;
          actionFired = false;
        }
        return Step.NONE;
      case BREACH:
      default:
        cleanRun = 0;
        breaches++;
        if (actionFired) {
          return Step.NONE;
        }
        if (breaches >= Math.max(1, consecutiveWindows)) {
          actionFired = true;
          return Step.ACT;
        }
        return Step.ALERT;
    }
  }

  /** True when the streak carries nothing worth keeping in state. */
  public boolean isIdle() {
    return breaches == 0 && !actionFired;
  }
}
