package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.wire.Rejection;
import org.junit.jupiter.api.Test;

class DuplicatesTest {

  @Test
  void aTurnIsADuplicateOnlyWhenItsRequestWasServed() {
    assertThat(Duplicates.turn("r1", false)).isNull();
    assertThat(Duplicates.turn("r1", true)).extracting(TurnChecks.Problem::rejection).isEqualTo(Rejection.DUPLICATE_EVENT);
  }

  @Test
  void aUnitEndsOnce() {
    UnitState unit = new UnitState("control", new String[] {"*"});
    assertThat(Duplicates.outcome("u1", null)).isNull();
    assertThat(Duplicates.outcome("u1", unit)).isNull();
    unit.endTime = 9_000;
    TurnChecks.Problem second = Duplicates.outcome("u1", unit);
    assertThat(second.rejection()).isEqualTo(Rejection.DUPLICATE_EVENT);
    assertThat(second.detail()).contains("u1").contains("9000");
  }

  @Test
  void judgeScoresAreKeyedByRequestAndAxes() {
    assertThat(Duplicates.judgeKey("r1", new String[] {"accuracy", "helpfulness"}))
        .isEqualTo(Duplicates.judgeKey("r1", new String[] {"accuracy", "helpfulness"}))
        .isNotEqualTo(Duplicates.judgeKey("r1", new String[] {"safety"}))
        .isNotEqualTo(Duplicates.judgeKey("r2", new String[] {"accuracy", "helpfulness"}));
    assertThat(Duplicates.judge("r1", new String[] {"safety"}, false)).isNull();
    assertThat(Duplicates.judge("r1", new String[] {"safety"}, true).rejection()).isEqualTo(Rejection.DUPLICATE_EVENT);
  }
}
