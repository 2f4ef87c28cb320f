package dev.arbiter.core;

import static dev.arbiter.core.Streak.Step.ACT;
import static dev.arbiter.core.Streak.Step.ALERT;
import static dev.arbiter.core.Streak.Step.NONE;
import static dev.arbiter.core.Verdict.Kind.BREACH;
import static dev.arbiter.core.Verdict.Kind.CLEAN;
import static dev.arbiter.core.Verdict.Kind.INCONCLUSIVE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreakTest {

  static List<Streak.Step> run(int consecutive, int recovery, Verdict.Kind... verdicts) {
    Streak streak = new Streak();
    List<Streak.Step> steps = new ArrayList<>();
    for (Verdict.Kind verdict : verdicts) {
      steps.add(streak.record(verdict, consecutive, recovery));
    }
    return steps;
  }

  @Test
  void singleBreachOnlyAlertsAndSecondActs() {
    assertThat(run(2, 1, BREACH, BREACH)).containsExactly(ALERT, ACT);
  }

  @Test
  void actionFiresOncePerStreak() {
    assertThat(run(2, 1, BREACH, BREACH, BREACH, BREACH)).containsExactly(ALERT, ACT, NONE, NONE);
  }

  @Test
  void inconclusiveWindowsNeitherBreakNorExtendAStreak() {
    assertThat(run(2, 1, BREACH, INCONCLUSIVE, INCONCLUSIVE, BREACH)).containsExactly(ALERT, NONE, NONE, ACT);
    assertThat(run(3, 1, BREACH, INCONCLUSIVE, BREACH, INCONCLUSIVE)).containsExactly(ALERT, NONE, ALERT, NONE);
  }

  @Test
  void cleanWindowEndsAStreakStillBuilding() {
    assertThat(run(2, 1, BREACH, CLEAN, BREACH, CLEAN, BREACH, BREACH)).containsExactly(ALERT, NONE, ALERT, NONE, ALERT, ACT);
  }

  @Test
  void afterTheActionTheRuleRearmsOnlyAfterRecoveryWindows() {
    assertThat(run(2, 2, BREACH, BREACH, CLEAN, BREACH, CLEAN, CLEAN, BREACH, BREACH))
        .containsExactly(ALERT, ACT, NONE, NONE, NONE, NONE, ALERT, ACT);
  }

  @Test
  void oneWindowRuleActsAtOnce() {
    assertThat(run(1, 1, CLEAN, BREACH, BREACH, CLEAN, BREACH)).containsExactly(NONE, ACT, NONE, NONE, ACT);
  }

  @Test
  void idleStreakHoldsNothingWorthKeeping() {
    Streak streak = new Streak();
    assertThat(streak.isIdle()).isTrue();
    streak.record(BREACH, 2, 1);
    assertThat(streak.isIdle()).isFalse();
    streak.record(CLEAN, 2, 1);
    assertThat(streak.isIdle()).isTrue();
  }
}
