package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.stats.GroupSequentialDesign;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SequentialMonitorTest {
  static final List<String> ARMS = List.of("control", "treatment");

  static PrimaryMetricDesign design(long plannedPerArm) {
    return PrimaryMetricDesign.newBuilder().setMetric("resolution_rate").setAlpha(0.05).setSides(2).setSpending("obrien_fleming")
        .setPlannedUnitsPerArm(plannedPerArm)
        .setLooks(List.of(new LookSpec(0.25, null, null), new LookSpec(0.5, null, null), new LookSpec(0.75, null, null), new LookSpec(1.0, null, null)))
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

  static PrimaryMetricDesign unitDesign(String metric) {
    return PrimaryMetricDesign.newBuilder(design(400)).setMetric(metric).build();
  }

  /** Unit-level sums of one window: {@code n} units with values x (and denominators y) drawn around the given means. */
  static double[] moments(java.util.SplittableRandom random, int n, double meanX, double sdX, double meanY) {
    double[] m = new double[6];
    for (int i = 0; i < n; i++) {
      double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
      double y = meanY <= 0 ? 1 : 1 + random.nextInt((int) (2 * meanY - 1));
      double x = meanY <= 0 ? meanX + sdX * gaussian : y * (meanX + sdX * gaussian);
      m[0] += 1;
      m[1] += x;
      m[2] += x * x;
      m[3] += y;
      m[4] += y * y;
      m[5] += x * y;
    }
    return m;
  }

  @Test
  void continuousPrimaryIsTestedOnUnitValuesWithWelch() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    SequentialMonitor drop = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = new ArrayList<>();
    for (int w = 0; w < 8 && !drop.stopped; w++) {
      looks.addAll(drop.advanceUnitValues(unitDesign("judge_helpfulness_mean"), ARMS, "control",
          new double[][] {moments(random, 60, 4.0, 0.7, 0), moments(random, 60, 3.6, 0.7, 0)}, false));
    }
    assertThat(looks).last().extracting(SequentialMonitor.Look::outcome).isEqualTo(SequentialMonitor.Outcome.STOP_HARM);
    SequentialMonitor.Look last = looks.get(looks.size() - 1);
    // Welch's t on the units' values, not on turns: the effect is the difference of unit means.
    assertThat(last.comparison().difference()).isCloseTo(-0.4, Offset.offset(0.1));
    assertThat(last.comparison().degreesOfFreedom()).isGreaterThan(100);

    SequentialMonitor same = new SequentialMonitor();
    List<SequentialMonitor.Look> aa = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      aa.addAll(same.advanceUnitValues(unitDesign("judge_helpfulness_mean"), ARMS, "control",
          new double[][] {moments(random, 60, 4.0, 0.7, 0), moments(random, 60, 4.0, 0.7, 0)}, false));
    }
    assertThat(aa).extracting(SequentialMonitor.Look::outcome).last().isEqualTo(SequentialMonitor.Outcome.STOP_NO_EFFECT);
  }

  @Test
  void ratioPrimaryUsesTheDeltaMethodAndHigherCostIsHarm() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(9);
    SequentialMonitor monitor = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = new ArrayList<>();
    for (int w = 0; w < 8 && !monitor.stopped; w++) {
      // Cost per turn 0.0020 against 0.0024, units of 1 to 5 turns.
      looks.addAll(monitor.advanceUnitValues(unitDesign("cost_per_turn_usd"), ARMS, "control",
          new double[][] {moments(random, 60, 0.0020, 0.0005, 3), moments(random, 60, 0.0024, 0.0005, 3)}, false));
    }
    assertThat(looks).last().extracting(SequentialMonitor.Look::outcome).isEqualTo(SequentialMonitor.Outcome.STOP_HARM);
    assertThat(looks.get(looks.size() - 1).comparison().treatment()).isCloseTo(0.0024, Offset.offset(0.0001));
  }

  @Test
  void classicDesignsKeepTheirRegisteredBoundaries() {
    SequentialMonitor monitor = new SequentialMonitor();
    PrimaryMetricDesign classic = PrimaryMetricDesign.newBuilder(design(1000)).setSpending("classic-pocock").build();
    List<SequentialMonitor.Look> looks = new ArrayList<>();
    for (int w = 0; w < 12; w++) {
      looks.addAll(monitor.advance(classic, ARMS, "control", new long[] {100, 100}, new long[] {60, 60}, false));
    }
    double[] registered = GroupSequentialDesign.of("classic-pocock", 0.05, 2, new double[] {0.25, 0.5, 0.75, 1.0}).criticalZ();
    assertThat(looks).extracting(SequentialMonitor.Look::criticalZ).containsExactly(registered[0], registered[1], registered[2], registered[3]);
  }

  @Test
  void aRegisteredFutilityBoundaryStopsForFutility() {
    PrimaryMetricDesign withFutility = PrimaryMetricDesign.newBuilder(design(1000))
        .setLooks(List.of(new LookSpec(0.25, null, null), new LookSpec(0.5, null, 0.0), new LookSpec(0.75, null, null),
            new LookSpec(1.0, null, null)))
        .build();
    SequentialMonitor monitor = new SequentialMonitor();
    List<SequentialMonitor.Look> looks = new ArrayList<>();
    for (int w = 0; w < 12 && !monitor.stopped; w++) {
      // The treatment trails slightly: z below 0 at the second look, far from both efficacy and harm.
      looks.addAll(monitor.advance(withFutility, ARMS, "control", new long[] {100, 100}, new long[] {60, 58}, false));
    }
    assertThat(looks).extracting(SequentialMonitor.Look::outcome)
        .containsExactly(SequentialMonitor.Outcome.CONTINUE, SequentialMonitor.Outcome.STOP_FUTILITY);
  }

  @Test
  void stateSurvivesFlinksSerializer() throws Exception {
    SequentialMonitor monitor = new SequentialMonitor();
    run(monitor, 4, 100, 0.6, 0.62, false);
    var serializer = org.apache.flink.api.common.typeinfo.TypeInformation.of(SequentialMonitor.class)
        .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
    var out = new org.apache.flink.core.memory.DataOutputSerializer(256);
    serializer.serialize(monitor, out);
    SequentialMonitor copy = serializer.deserialize(new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(copy.units).containsExactly(monitor.units);
    assertThat(copy.successes).containsExactly(monitor.successes);
    assertThat(copy.takenFractions).containsExactly(monitor.takenFractions);
    // The restored monitor takes the next look, not one it already took.
    assertThat(run(copy, 4, 100, 0.6, 0.62, false)).extracting(SequentialMonitor.Look::index).containsExactly(2, 3);
  }

  @Test
  void theNextLookFractionIsTheOneTheRecomputedDesignPlans() {
    // take() answers most windows from nextLookFraction without building the design; it must agree
    // with the design for every spending function and any fractions the looks were taken at.
    java.util.Random random = new java.util.Random(20261202);
    List<List<Double>> registered = List.of(List.of(1.0), List.of(0.5, 1.0), List.of(0.25, 0.5, 0.75, 1.0), List.of(0.1, 0.3, 0.35, 0.9, 1.0),
        // the last look registered as 1 give or take the 1e-9 the design accepts
        List.of(0.5, 1.0 + 5e-10), List.of(0.5, 1.0 - 5e-10));
    int checked = 0;
    for (String spending : List.of("obrien_fleming", "pocock", "hsd:-4", "classic-obf", "classic-pocock")) {
      for (List<Double> fractions : registered) {
        PrimaryMetricDesign design = PrimaryMetricDesign.newBuilder(design(1000)).setSpending(spending)
            .setLooks(fractions.stream().map(f -> new LookSpec(f, null, null)).toList()).build();
        for (int trial = 0; trial < 6; trial++) {
          SequentialMonitor monitor = new SequentialMonitor();
          double taken = 0;
          while (true) {
            GroupSequentialDesign current = monitor.current(design, 1);
            int index = monitor.takenFractions.length;
            double next = monitor.nextLookFraction(design);
            if (index >= current.looks()) {
              assertThat(next).as("%s %s after %s", spending, fractions, Arrays.toString(monitor.takenFractions)).isNaN();
              break;
            }
            assertThat(next).as("%s %s after %s", spending, fractions, Arrays.toString(monitor.takenFractions))
                .isEqualTo(current.fractions()[index]);
            checked++;
            // The next look is taken somewhere at or past its planned fraction, sometimes beyond later ones or past 1.
            taken = Math.max(next, taken) + random.nextDouble() * (random.nextInt(4) == 0 ? 0.6 : 0.1) + 1e-6;
            monitor.takenFractions = Arrays.copyOf(monitor.takenFractions, index + 1);
            monitor.takenFractions[index] = taken;
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(150);
  }
}
