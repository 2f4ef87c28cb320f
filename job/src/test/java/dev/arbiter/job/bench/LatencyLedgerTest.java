package dev.arbiter.job.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.core.DefinitionValidator;
import dev.arbiter.job.simulate.Effect;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decision-latency bookkeeping: append times per window, when the watermark could pass a close, percentiles, the script. */
class LatencyLedgerTest {
  static final long WINDOW = 10_000;
  static final long LATENESS = 5_000;
  static final long OUT_OF_ORDERNESS = 5_000;
  /** A window start (aligned to the window size). */
  static final long W0 = 1_700_000_000_000L;

  @Test
  void aWindowsLastEventIsItsLatestAppendWhateverTheOrderOfCallbacks() {
    LatencyLedger ledger = new LatencyLedger(WINDOW, LATENESS, OUT_OF_ORDERNESS, 2);
    ledger.appended("a", W0 + 100, 0, 5_000);
    ledger.appended("a", W0 + 9_999, 1, 5_900);
    ledger.appended("a", W0 + 9_000, 0, 5_800);
    ledger.appended("b", W0 + 9_999, 0, 7_000);
    ledger.appended("a", W0 + WINDOW, 0, 8_000);

    assertThat(ledger.lastAppend("a", W0)).hasValue(5_900);
    assertThat(ledger.lastAppend("b", W0)).hasValue(7_000);
    assertThat(ledger.lastAppend("a", W0 + WINDOW)).hasValue(8_000);
    assertThat(ledger.lastAppend("c", W0)).isEmpty();
  }

  @Test
  void theWatermarkCanPassACloseOnceEveryPartitionHoldsAnEventPastIt() {
    LatencyLedger ledger = new LatencyLedger(WINDOW, LATENESS, OUT_OF_ORDERNESS, 2);
    long threshold = W0 + WINDOW + LATENESS + OUT_OF_ORDERNESS;
    assertThat(ledger.watermarkThreshold(W0)).isEqualTo(threshold);
    ledger.appended("a", W0, 0, 1_000);
    ledger.appended("a", W0, 1, 1_000);
    ledger.appended("a", threshold - 1, 0, 2_000);
    ledger.appended("a", threshold, 0, 3_000);
    ledger.appended("a", threshold + 500, 0, 3_500);
    assertThat(ledger.watermarkReady(W0)).as("partition 1 still holds the watermark back").isEmpty();

    ledger.appended("b", threshold + 2_000, 1, 4_000);
    assertThat(ledger.watermarkReady(W0)).as("the later partition decides").hasValue(4_000);
    assertThat(ledger.watermarkReady(W0 + WINDOW)).isEmpty();
  }

  @Test
  void oneEventCanPassSeveralClosesAtOnce() {
    LatencyLedger ledger = new LatencyLedger(WINDOW, LATENESS, OUT_OF_ORDERNESS, 1);
    ledger.appended("a", W0, 0, 1_000);
    ledger.appended("a", ledger.watermarkThreshold(W0 + 3 * WINDOW), 0, 9_000);
    assertThat(ledger.watermarkReady(W0)).hasValue(9_000);
    assertThat(ledger.watermarkReady(W0 + WINDOW)).hasValue(9_000);
    assertThat(ledger.watermarkReady(W0 + 2 * WINDOW)).hasValue(9_000);
    assertThat(ledger.watermarkReady(W0 + 3 * WINDOW)).hasValue(9_000);
    assertThat(ledger.watermarkReady(W0 + 4 * WINDOW)).isEmpty();
    assertThat(ledger.watermarkReady(W0 - WINDOW)).as("its close lies after the first event").hasValue(9_000);
    assertThat(ledger.watermarkReady(W0 - 2 * WINDOW)).as("closes the first event already passed are not this run's").isEmpty();
  }

  @Test
  void aCommandsLatenciesCountFromTheLastAppendAndFromTheWatermark() {
    LatencyLedger ledger = new LatencyLedger(WINDOW, LATENESS, OUT_OF_ORDERNESS, 1);
    ledger.appended("a", W0 + 1, 0, 100_000);
    ledger.appended("a", W0 + 9_000, 0, 109_000);
    ledger.appended("b", W0 + WINDOW + LATENESS + OUT_OF_ORDERNESS, 0, 121_000);

    LatencyLedger.Latency latency = ledger.latency("a", W0, 123_500).orElseThrow();
    assertThat(latency.sinceLastEventMs()).isEqualTo(14_500);
    assertThat(latency.sinceWatermarkReadyMs()).isEqualTo(OptionalLong.of(2_500));
    assertThat(ledger.latency("b", W0, 123_500)).as("b has no event in that window").isEmpty();
  }

  @Test
  void percentilesAreNearestRank() {
    List<Long> values = new ArrayList<>();
    for (long v = 100; v >= 1; v--) {
      values.add(v * 10);
    }
    LatencyLedger.Spread spread = LatencyLedger.Spread.of(values);
    assertThat(spread).isEqualTo(new LatencyLedger.Spread(100, 500, 950, 1_000));
    assertThat(LatencyLedger.Spread.of(List.of(7L, 3L))).isEqualTo(new LatencyLedger.Spread(2, 3, 7, 7));
    assertThat(LatencyLedger.Spread.of(List.of()).describe()).isEqualTo("-");
  }

  @Test
  void theScriptBreachesEveryFifthExperimentTwoWindowsInThree() {
    assertThat(DecisionLatencyBench.effects(1, 6, 20)).isEmpty();
    assertThat(DecisionLatencyBench.effects(5, 6, 14)).containsExactly(
        new Effect.LatencySpike("treatment", 7, 9, 2.0, null), new Effect.LatencySpike("treatment", 10, 12, 2.0, null),
        new Effect.LatencySpike("treatment", 13, 14, 2.0, null));
  }

  @Test
  void onlyBreachesWhoseCloseTheWatermarkCouldPassAreExpected() {
    long window = DecisionLatencyBench.WINDOW_MS;
    LatencyLedger ledger = new LatencyLedger(window, DecisionLatencyBench.ALLOWED_LATENESS_MS, OUT_OF_ORDERNESS, 1);
    long first = W0 - W0 % window;
    long definitionStart = first - DecisionLatencyBench.LEAD_WINDOWS * window;
    int breaching = DecisionLatencyBench.LEAD_WINDOWS + 1;
    String id = BenchTraffic.experimentId(0);
    // Experiment 0 breaches the two windows after the first appended one; traffic reaches far enough to close only the first.
    ledger.appended(id, first, 0, 1);
    ledger.appended(id, definitionStart + breaching * window, 0, 2);
    ledger.appended(id, definitionStart + (breaching + 1) * window, 0, 3);
    ledger.appended(id, ledger.watermarkThreshold(definitionStart + breaching * window), 0, 4);

    Set<LatencyLedger.WindowKey> scripted = DecisionLatencyBench.scripted(1, breaching + 6, first, ledger);
    assertThat(scripted).containsExactly(new LatencyLedger.WindowKey(id, definitionStart + breaching * window));
  }

  @Test
  void aLowRateRunsFewerExperimentsSoEveryWindowCanDecide() {
    // 60 conversations x 3.5 events per 7 s window: 30 events/s per experiment.
    assertThat(DecisionLatencyBench.experimentsAt(50_000, 1_000)).isEqualTo(1_000);
    assertThat(DecisionLatencyBench.experimentsAt(3_000, 1_000)).isEqualTo(100);
    assertThat(DecisionLatencyBench.experimentsAt(10, 1_000)).isEqualTo(DecisionLatencyBench.AFFECTED_EVERY);
  }

  @Test
  void theShortWindowDefinitionIsValid() {
    assertThat(DefinitionValidator.problems(DecisionLatencyBench.definition(W0))).isEmpty();
  }
}
