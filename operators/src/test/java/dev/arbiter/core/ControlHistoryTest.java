package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlBaseline;
import org.junit.jupiter.api.Test;

class ControlHistoryTest {

  @Test
  void thresholdWaitsForTheRequestedWindowsThenFollowsTheLatestOnes() {
    ControlHistory history = new ControlHistory();
    ControlBaseline maxOfFive = new ControlBaseline("max", 5);
    for (int i = 1; i <= 4; i++) {
      history.add(i * 100, 5);
    }
    assertThat(history.threshold(maxOfFive)).isNaN();
    history.add(500, 5);
    assertThat(history.threshold(maxOfFive)).isEqualTo(500);
    history.add(50, 5);
    assertThat(history.latest()).containsExactly(200, 300, 400, 500, 50);
    assertThat(history.threshold(new ControlBaseline("mean", 5))).isEqualTo(290);
    assertThat(history.threshold(new ControlBaseline("min", 5))).isEqualTo(50);
  }

  @Test
  void percentilesComeFromCommonsMath() {
    ControlHistory history = new ControlHistory();
    for (int i = 1; i <= 30; i++) {
      history.add(i, 30);
    }
    // Commons Math's default estimator: position p(n+1)/100 = 30.69 -> clamped to the maximum.
    assertThat(history.threshold(new ControlBaseline("p99", 30))).isEqualTo(30);
    assertThat(history.threshold(new ControlBaseline("p50", 30))).isEqualTo(15.5);
  }

  @Test
  void resizingKeepsTheNewestValues() {
    ControlHistory history = new ControlHistory();
    for (int i = 1; i <= 6; i++) {
      history.add(i, 6);
    }
    history.add(7, 3);
    assertThat(history.latest()).containsExactly(5, 6, 7);
  }
}
