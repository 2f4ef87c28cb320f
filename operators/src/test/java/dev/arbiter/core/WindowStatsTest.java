package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WindowStatsTest {

  static Observation turn(String request, String unit, double latency, boolean unsafe) {
    Observation o = new Observation();
    o.requestId = request;
    o.unitHash = UnitHash.of(unit);
    o.latencyMs = latency;
    o.ttftMs = latency / 5;
    o.costUsd = 0.002;
    o.promptTokens = 100;
    o.completionTokens = 50;
    o.unsafe = unsafe;
    o.definitionVersion = 1;
    return o;
  }

  /** Heavy-tailed latencies: lognormal body with a Pareto tail, as cold starts and retries produce. */
  static double[] latencies(long seed, int n) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
      values[i] = random.nextDouble() < 0.07
          ? 3000 / Math.pow(1 - random.nextDouble(), 1 / 1.5)
          : 1200 * Math.exp(0.6 * gaussian);
    }
    return values;
  }

  /** The exact quantile by the lower nearest rank, the definition DDSketch's guarantee is stated against. */
  static double exactQuantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.floor(q * (sorted.length - 1))];
  }

  @Test
  void quantilesStayWithinTheSketchRelativeErrorOnHeavyTails() {
    for (long seed = 1; seed <= 5; seed++) {
      double[] values = latencies(seed, 20_000);
      WindowStats stats = new WindowStats(0, 60_000, 0, 1);
      for (int i = 0; i < values.length; i++) {
        stats.add(turn("r" + i, "u" + i, values[i], false), false);
      }
      for (double q : new double[] {0.5, 0.95, 0.99}) {
        double exact = exactQuantile(values, q);
        assertThat(stats.latencyQuantile(q)).as("seed %d q %.2f", seed, q)
            .isCloseTo(exact, org.assertj.core.data.Offset.offset(exact * WindowStats.RELATIVE_ACCURACY * 1.0001));
      }
    }
  }

  @Test
  void countsRatesAndDistinctUnits() {
    WindowStats stats = new WindowStats(0, 60_000, 0, 1);
    stats.add(turn("a", "u1", 1000, false), false);
    stats.add(turn("b", "u1", 2000, true), true);
    stats.add(turn("c", "u2", 3000, false), false);
    stats.add(turn("d", "u3", 4000, false), false);
    assertThat(stats.turns()).isEqualTo(4);
    assertThat(stats.units()).isEqualTo(3);
    assertThat(stats.lateEvents()).isEqualTo(1);
    assertThat(stats.metrics()).containsEntry(Metrics.SAFETY_PASS_RATE, 0.75).containsEntry(Metrics.ERROR_RATE, 0.0);
    assertThat(stats.metrics().get(Metrics.COST_PER_UNIT_USD)).isCloseTo(0.008 / 3, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(stats.metrics().get(Metrics.TOKENS_PER_TURN)).isEqualTo(150.0);
    // flagged first, then slowest
    assertThat(stats.evidenceRequestIds()).containsExactly("b", "d", "c", "a");
  }

  @Test
  void aMovedFirstTurnTakesBackOnlyTheNewUnitCount() {
    WindowStats stats = new WindowStats(0, 60_000, 0, 1);
    Observation first = turn("a", "u1", 1000, false);
    first.newUnit = true;
    stats.add(first, false);
    Observation moved = new Observation();
    moved.kind = Observation.FIRST_TURN_MOVED;
    stats.add(moved, true);
    assertThat(stats.newUnits()).isZero();
    assertThat(stats.turns()).isEqualTo(1);
    assertThat(stats.units()).isEqualTo(1);
    assertThat(stats.lateEvents()).as("not a turn, so not a late one").isZero();
  }

  @Test
  void emptyWindowHasNoMetricsRatherThanZeros() {
    assertThat(new WindowStats(0, 60_000, 0, 1).metrics()).isEmpty();
  }

  @Test
  void mergeEqualsOneAggregateAndEvidenceIgnoresArrivalOrder() throws Exception {
    double[] values = latencies(9, 2_000);
    List<Observation> turns = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      turns.add(turn("r" + i, "u" + (i % 700), values[i], i % 97 == 0));
    }
    WindowStats whole = new WindowStats(0, 60_000, 0, 1);
    turns.forEach(t -> whole.add(t, false));
    Collections.shuffle(turns, new java.util.Random(3));
    WindowStats left = new WindowStats(0, 60_000, 0, 1);
    WindowStats right = new WindowStats(0, 60_000, 0, 1);
    for (int i = 0; i < turns.size(); i++) {
      (i % 2 == 0 ? left : right).add(turns.get(i), false);
    }
    left.merge(right);
    assertThat(left.turns()).isEqualTo(whole.turns());
    assertThat(left.units()).isEqualTo(700);
    assertThat(left.metrics()).isEqualTo(whole.metrics());
    assertThat(left.evidenceRequestIds()).isEqualTo(whole.evidenceRequestIds());
  }

  @Test
  void binaryFormRoundTrips() throws Exception {
    WindowStats stats = new WindowStats(120_000, 60_000, 30_000, 3);
    double[] values = latencies(4, 500);
    for (int i = 0; i < values.length; i++) {
      stats.add(turn("r" + i, "u" + i, values[i], i == 7), i % 50 == 0);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    stats.writeTo(new DataOutputStream(bytes));
    WindowStats copy = WindowStats.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(copy.metrics()).isEqualTo(stats.metrics());
    assertThat(copy.units()).isEqualTo(stats.units());
    assertThat(copy.lateEvents()).isEqualTo(stats.lateEvents());
    assertThat(copy.closeTime()).isEqualTo(WindowBounds.closeTime(120_000, 60_000, 30_000));
    assertThat(copy.definitionVersion()).isEqualTo(3);
    assertThat(copy.evidenceRequestIds()).isEqualTo(stats.evidenceRequestIds());
  }

  @Test
  void windowsAlignToTheEpoch() {
    assertThat(WindowBounds.startOf(1_763_800_059_999L, 60_000)).isEqualTo(1_763_800_020_000L);
    assertThat(WindowBounds.startOf(-1, 60_000)).isEqualTo(-60_000);
  }

  @Test
  void outcomesJudgeScoresAndAssignmentFlagsHaveTheirOwnMetricsAndSamples() {
    WindowStats stats = new WindowStats(0, 60_000, 0, 1);
    Observation flagged = turn("a", "u1", 1000, false);
    flagged.assignmentMismatch = true;
    stats.add(flagged, false);
    stats.add(turn("b", "u2", 1000, false), false);
    for (boolean resolved : new boolean[] {true, true, false}) {
      Observation outcome = new Observation();
      outcome.kind = Observation.OUTCOME;
      outcome.resolved = resolved;
      outcome.humanHandoff = !resolved;
      stats.add(outcome, false);
    }
    for (double score : new double[] {4, 5, 3}) {
      Observation judge = new Observation();
      judge.kind = Observation.JUDGE;
      judge.judgeAxes = new String[] {"helpfulness"};
      judge.judgeScores = new double[] {score};
      stats.add(judge, false);
    }
    assertThat(stats.metrics()).containsEntry(Metrics.RESOLUTION_RATE, 2 / 3.0).containsEntry(Metrics.HANDOFF_RATE, 1 / 3.0)
        .containsEntry("judge_helpfulness_mean", 4.0).containsEntry(Metrics.ASSIGNMENT_MISMATCH_RATE, 0.5);
    assertThat(stats.samples()).containsEntry(Metrics.RESOLUTION_RATE, 3L).containsEntry("judge_helpfulness_mean", 3L);
    assertThat(stats.turns()).isEqualTo(2);
  }

  /** A window written by the build before {@link SampleQuantiles} (format 1: four bare sketches), as it sits in old savepoints. */
  private static final String FORMAT_1_WINDOW =
      "01000000000001d4c0000000000000ea60000000000000753000000003000000000000000500000000000000000000000000" +
      "0000000000000000000000000000000000000000000000000000320000000000000019000000000000000000000000000000" +
      "000000000000000000000000030000000000000002000000000000000100000000000000000000001e0ec2f1e7e9ed51f03f" +
      "000000000000000005058c0502180238022c023c020000001e0ec2f1e7e9ed51f03f00000000000000000505800402180238" +
      "022c023c020000001a0ec2f1e7e9ed51f03f000000000000000005038c050218026402000000180ec2f1e7e9ed51f03f0000" +
      "0000000000000502dc0502680200000000000000000000000000000000000000000000000000000000000000000000000000" +
      "00000000000000000000000000000000000000000000000000000005000272330040af3e0000000000000272320040a14400" +
      "00000000000272310040965800000000000002723000408964000000000000027234004084000000000000";

  @Test
  void readsWindowsWrittenBeforeRawValuesAndMergesThemWithNewOnes() throws Exception {
    WindowStats expected = new WindowStats(120_000, 60_000, 30_000, 3);
    double[] latencies = {812.5, 1430.0, 2210.0, 3999.0, 640.0};
    for (int i = 0; i < latencies.length; i++) {
      Observation turn = new Observation();
      turn.requestId = "r" + i;
      turn.unitHash = i % 3;
      turn.latencyMs = latencies[i];
      turn.ttftMs = latencies[i] / 4;
      turn.cacheState = i % 2 == 0 ? Observation.WARM : Observation.COLD;
      turn.promptTokens = 10;
      turn.completionTokens = 5;
      expected.add(turn, false);
    }
    byte[] bytes = java.util.HexFormat.of().parseHex(FORMAT_1_WINDOW);
    WindowStats old = WindowStats.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes)));
    assertThat(old.metrics()).isEqualTo(expected.metrics());
    assertThat(old.evidenceRequestIds()).isEqualTo(expected.evidenceRequestIds());

    old.merge(expected);
    WindowStats twice = new WindowStats(120_000, 60_000, 30_000, 3);
    twice.merge(expected);
    twice.merge(expected);
    assertThat(old.metrics()).isEqualTo(twice.metrics());
  }
}
