package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.job.simulate.JsonLines;
import dev.arbiter.job.simulate.Scenarios;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.JsonForm;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each named scenario through a backtest of the real job graph: exactly the commands it should
 * cause, and none where it should stay silent. Windows are numbered from the experiment's first.
 */
class ScenarioBacktestTest {
  static final long START = 1_763_800_020_000L;
  static final long SEED = 11;

  @TempDir
  Path dir;

  record Run(List<JsonNode> commands, List<JsonNode> metrics, SupportBotTraffic clock) {}

  Run backtest(String name) throws Exception {
    Scenarios.Scenario scenario = Scenarios.named(name, START);
    Path definition = dir.resolve(name + ".json");
    Files.writeString(definition, JsonForm.JSON.writeValueAsString(JsonForm.toJson(scenario.definition())));
    Path events = dir.resolve(name + ".jsonl");
    SupportBotTraffic traffic = scenario.traffic().apply(SEED);
    try (BufferedWriter writer = Files.newBufferedWriter(events, StandardCharsets.UTF_8)) {
      while (traffic.hasNext()) {
        writer.write(JsonLines.of(traffic.next()));
        writer.newLine();
      }
    }
    Path out = dir.resolve(name + "-decisions.jsonl");
    Path metrics = dir.resolve(name + "-metrics.jsonl");
    new Backtest(definition, events, out, dir.resolve(name + "-dead.jsonl"), metrics, 2, 5_000).run();
    return new Run(read(out), read(metrics), scenario.traffic().apply(0L));
  }

  static List<JsonNode> read(Path file) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      nodes.add(JsonForm.JSON.readTree(line));
    }
    return nodes;
  }

  static List<Tuple> commands(Run run) {
    return run.commands().stream().map(c -> tuple(c.get("action").asText(), window(run, c.get("window_start").asLong()),
        c.get("segment").asText(), c.get("rule_id").asText(null))).toList();
  }

  static int window(Run run, long start) {
    for (int i = 0; i < Scenarios.SEQUENTIAL_WINDOWS + 4; i++) {
      if (run.clock().windowStart(i) == start) {
        return i;
      }
    }
    return -1;
  }

  static double metric(Run run, String variant, int window, String metric) {
    return run.metrics().stream()
        .filter(m -> m.has("turns") && m.get("variant_id").asText().equals(variant) && m.get("segment").asText().equals("*")
            && m.get("window_start").asLong() == run.clock().windowStart(window))
        .findFirst().orElseThrow().get("metrics").path(metric).asDouble(Double.NaN);
  }

  @Test
  void noiseCausesNothing() throws Exception {
    assertThat(commands(backtest("noise"))).isEmpty();
  }

  @Test
  void coldCacheCanaryDoesNotTripTheWarmLatencyRule() throws Exception {
    Run run = backtest("cold-cache");
    assertThat(commands(run)).isEmpty();
    // The overall p95 would have breached: the split is what keeps the canary running.
    assertThat(metric(run, "treatment", Scenarios.FROM + 1, "latency_p95_ms")).isGreaterThan(3000);
    assertThat(metric(run, "treatment", Scenarios.FROM + 1, "latency_p95_ms.warm")).isLessThan(3000);
  }

  @Test
  void safetyRegressionOnMobileRollsBackMobileOnly() throws Exception {
    assertThat(commands(backtest("mobile-safety"))).containsExactly(
        tuple("ALERT", Scenarios.FROM, "device=mobile", "safety"),
        tuple("ROLLBACK", Scenarios.FROM + 1, "device=mobile", "safety"));
  }

  @Test
  void costRiseVisibleOnlyAsARatioToControl() throws Exception {
    Run run = backtest("cost-ratio");
    assertThat(commands(run)).containsExactly(
        tuple("ALERT", Scenarios.FROM, "*", "cost-ratio"),
        tuple("REVIEW", Scenarios.FROM + 1, "*", "cost-ratio"));
    assertThat(metric(run, "treatment", Scenarios.FROM + 1, "cost_per_turn_usd"))
        .isLessThan(metric(run, "treatment", Scenarios.FROM - 1, "cost_per_turn_usd"));
  }

  @Test
  void judgeScoreDropIsCaughtThoughScoresArriveTwoMinutesLate() throws Exception {
    assertThat(commands(backtest("judge-drop"))).containsExactly(
        tuple("ALERT", Scenarios.FROM + 2, "*", "helpfulness"),
        tuple("PAUSE_EXPOSURE", Scenarios.FROM + 3, "*", "helpfulness"));
  }

  @Test
  void routingBugHaltsOnSampleRatioMismatchOnce() throws Exception {
    List<Tuple> commands = commands(backtest("routing-srm"));
    assertThat(commands).singleElement().satisfies(c -> {
      assertThat(c.toList().get(0)).isEqualTo("SRM_HALT");
      assertThat((Integer) c.toList().get(1)).isBetween(Scenarios.FROM, Scenarios.WINDOWS - 1);
    });
  }

  @Test
  void leakedUnitsRaiseTheAssignmentMismatchRate() throws Exception {
    Run run = backtest("leak");
    assertThat(commands(run)).containsExactly(
        tuple("ALERT", Scenarios.FROM, "*", "assignment"),
        tuple("REVIEW", Scenarios.FROM + 1, "*", "assignment"));
    assertThat(metric(run, "treatment", Scenarios.FROM - 1, "assignment_mismatch_rate")).isZero();
  }

  static List<Tuple> stops(Run run) {
    return run.commands().stream().map(c -> tuple(c.get("action").asText(), c.path("look_index").asInt(0))).toList();
  }

  static List<JsonNode> looks(Run run) {
    return run.metrics().stream().filter(m -> m.has("planned_fraction")).toList();
  }

  @Test
  void fivePointLiftStopsForEfficacyAtARegisteredBoundary() throws Exception {
    Run run = backtest("lift");
    assertThat(run.commands()).singleElement().satisfies(stop -> {
      assertThat(stop.get("action").asText()).isEqualTo("STOP_EFFICACY");
      assertThat(stop.get("z").asDouble()).isGreaterThanOrEqualTo(stop.get("critical_z").asDouble());
      assertThat(stop.get("effect").asDouble()).isPositive();
      assertThat(stop.get("ci_low").asDouble()).isPositive();
    });
    List<JsonNode> looks = looks(run);
    assertThat(looks).extracting(l -> l.get("look_index").asInt()).containsExactlyElementsOf(
        java.util.stream.IntStream.rangeClosed(1, looks.size()).boxed().toList());
    System.out.println("lift scenario: " + stops(run));
  }

  @Test
  void fivePointDropStopsForHarm() throws Exception {
    Run run = backtest("harm");
    assertThat(run.commands()).singleElement().satisfies(stop -> {
      assertThat(stop.get("action").asText()).isEqualTo("STOP_HARM");
      assertThat(stop.get("z").asDouble()).isLessThanOrEqualTo(-stop.get("critical_z").asDouble());
    });
    System.out.println("harm scenario: " + stops(run));
  }

  @Test
  void noEffectRunsToTheFinalLookWithoutCrossing() throws Exception {
    Run run = backtest("no-effect");
    assertThat(stops(run)).containsExactly(tuple("STOP_NO_EFFECT", 4));
    assertThat(looks(run)).extracting(l -> l.get("outcome").asText())
        .containsExactly("CONTINUE", "CONTINUE", "CONTINUE", "STOP_NO_EFFECT");
    assertThat(looks(run)).allSatisfy(l -> assertThat(Math.abs(l.get("z").asDouble())).isLessThan(l.get("critical_z").asDouble()));
  }

  @Test
  void aLiftBehindARoutingBugHaltsAndShipsNoWinner() throws Exception {
    Run run = backtest("routing-lift");
    assertThat(run.commands()).extracting(c -> c.get("action").asText()).contains("SRM_HALT").doesNotContain("STOP_EFFICACY");
    assertThat(looks(run)).extracting(l -> l.get("outcome").asText()).contains("EFFICACY_BLOCKED_BY_SRM");
  }

  @Test
  void aContinuousPrimaryIsTestedOnOneValuePerConversation() throws Exception {
    Run run = backtest("judge-primary");
    assertThat(run.commands()).singleElement().satisfies(stop -> {
      assertThat(stop.get("action").asText()).isEqualTo("STOP_HARM");
      assertThat(stop.get("metric").asText()).isEqualTo("judge_helpfulness_mean");
      assertThat(stop.get("effect").asDouble()).isNegative();
      assertThat(stop.get("treatment_successes").isNull()).isTrue();
    });
    // Units, not turns: the look counts conversations with final values.
    assertThat(looks(run)).allSatisfy(l -> assertThat(l.get("treatment_units").asLong()).isLessThan(2 * 400));
  }
}
