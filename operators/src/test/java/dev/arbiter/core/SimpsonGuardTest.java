package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SimpsonGuardTest {

  @Test
  void aSegmentMixThatDiffersBetweenArmsWarns() {
    // Control mostly desktop, treatment mostly mobile.
    SimpsonGuard.Reading reading = SimpsonGuard.check("device", new long[][] {{700, 300}, {300, 700}}, new double[] {0.01, 0.01}, 0.05);
    assertThat(reading.mixPValue()).isLessThan(SimpsonGuard.MIX_ALPHA);
    assertThat(reading.warning()).contains("device mix differs");
  }

  @Test
  void everySegmentAgainstThePooledDirectionWarns() {
    SimpsonGuard.Reading reading = SimpsonGuard.check("device", new long[][] {{500, 510}, {500, 490}}, new double[] {-0.02, -0.01}, 0.03);
    assertThat(reading.warning()).contains("points against the pooled effect");
  }

  @Test
  void aBalancedMixWithAgreeingSegmentsIsFine() {
    SimpsonGuard.Reading reading = SimpsonGuard.check("device", new long[][] {{500, 510}, {500, 490}}, new double[] {0.04, -0.01}, 0.03);
    assertThat(reading.warning()).isNull();
    assertThat(reading.mixPValue()).isGreaterThan(0.1);
  }
}
