package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.stats.GroupSequentialDesign;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SequentialMonitorTest {
  static final List<String> ARMS = List.of("control", "treatment");

  static PrimaryMetricDesign design(long plannedPerArm) {
    return PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setAlpha(0.05).setSides(2).setSpending("obrien_fleming")
        .setPlannedUnitsPerArm(plannedPerArm)
        .setLooks(List.of(new LookSpec(0.25, null), new LookSpec(0.5, null), new LookSpec(0.75, null), new LookSpec(1.0, null)))
        .build();
  }

  /** Feeds windows of {@code perArm} units per arm with the given success rates until the monitor stops or runs out. */
  static List<SequentialMonitor.Look> run(SequentialMonitor monitor, int windows, long perArm, double controlRate,
      double treatmentRate, boolean srm) {
    List<SequentialMonitor.Look> looks = new ArrayList<>();
    for (int w = 0; w < windows; w++) {
      looks.addAll(monitor.advance(design(1000), ARMS, "control", new long[] {perArm, perArm},
          new long[] {Math.round(perArm * controlRate), Math.round(perArm * treatmentRate)}, srm));
    }
    return looks;
  }

  @Test
  void looksAreTakenOnceInOrderAtTheFirstWindowThatReachesThemWithRecomputedBoundaries() {
    SequentialMonitor monitor = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = run(monitor, 12, 100, 0.6, 0.6, false);
    assertThat(looks).extracting(SequentialMonitor.Look::index).containsExactly(1, 2, 3, 4);
    assertThat(looks).extracting(SequentialMonitor.Look::fraction).containsExactly(0.3, 0.5, 0.8, 1.0);
    // Look 1 came at 0.3 instead of 0.25: its boundary follows the spending function there.
    double expected = GroupSequentialDesign.of("obrien_fleming", 0.05, 2, new double[] {0.3, 0.5, 0.75, 1.0}).criticalZ()[0];
    assertThat(looks.get(0).criticalZ()).isCloseTo(expected, Offset.offset(1e-9)).isLessThan(4.3326);
    assertThat(looks.get(3).cumulativeAlpha()).isCloseTo(0.05, Offset.offset(1e-9));
    assertThat(looks).extracting(SequentialMonitor.Look::outcome).containsExactly(
        SequentialMonitor.Outcome.CONTINUE, SequentialMonitor.Outcome.CONTINUE, SequentialMonitor.Outcome.CONTINUE,
        SequentialMonitor.Outcome.STOP_NO_EFFECT);
    assertThat(monitor.stopped).isTrue();
    assertThat(run(monitor, 2, 100, 0.6, 0.9, false)).isEmpty();
  }

  @Test
  void aClearLiftStopsForEfficacyAndAClearDropForHarm() {
    List<SequentialMonitor.Look> lift = run(new SequentialMonitor(), 12, 100, 0.55, 0.80, false);
    assertThat(lift).last().extracting(SequentialMonitor.Look::outcome).isEqualTo(SequentialMonitor.Outcome.STOP_EFFICACY);
    assertThat(lift.get(lift.size() - 1).comparison().statistic()).isGreaterThanOrEqualTo(lift.get(lift.size() - 1).criticalZ());
    List<SequentialMonitor.Look> harm = run(new SequentialMonitor(), 12, 100, 0.80, 0.55, false);
    assertThat(harm).last().extracting(SequentialMonitor.Look::outcome).isEqualTo(SequentialMonitor.Outcome.STOP_HARM);
  }

  @Test
  void aSampleRatioMismatchBlocksAnEfficacyStop() {
    SequentialMonitor monitor = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = run(monitor, 12, 100, 0.55, 0.80, true);
    assertThat(looks).extracting(SequentialMonitor.Look::outcome)
        .doesNotContain(SequentialMonitor.Outcome.STOP_EFFICACY).contains(SequentialMonitor.Outcome.EFFICACY_BLOCKED_BY_SRM);
  }

  @Test
  void aWindowThatPassesTwoPlannedLooksTakesOneLookAtTheActualFraction() {
    SequentialMonitor monitor = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = run(monitor, 1, 600, 0.6, 0.6, false);
    assertThat(looks).singleElement().satisfies(look -> {
      assertThat(look.index()).isEqualTo(1);
      assertThat(look.fraction()).isEqualTo(0.6);
      assertThat(look.criticalZ()).isCloseTo(
          GroupSequentialDesign.of("obrien_fleming", 0.05, 2, new double[] {0.6, 0.75, 1.0}).criticalZ()[0], Offset.offset(1e-9));
    });
    // The next look is the planned 0.75, now the second.
    assertThat(run(monitor, 2, 100, 0.6, 0.6, false)).extracting(SequentialMonitor.Look::index, SequentialMonitor.Look::fraction)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2, 0.8));
  }
}
