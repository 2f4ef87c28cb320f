package dev.arbiter.job.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.JsonForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code simulate} to a JSON Lines file, then {@code backtest} on it: the scenario's effect is found. */
class SimulateCommandTest {
  private static final Pattern EVENTS = Pattern.compile("([\\d,]+) events in ([\\d.]+) s");

  @Test
  void simulatedMobileSafetyRegressionIsRolledBackByTheBacktest(@TempDir Path dir) throws Exception {
    Path events = dir.resolve("mobile.jsonl");
    // 12 windows of 60 s event time; 20 events/s fill each with about 340 conversations, the scenario's own traffic.
    ArbiterCliTest.Outcome simulated = ArbiterCliTest.run("simulate", "--output", events.toString(), "--scenario", "mobile-safety",
        "--rate", "20", "--duration", "12m", "--no-pacing", "--seed", "11");
    assertThat(simulated.exitCode()).as(simulated.err()).isZero();
    assertThat(simulated.err()).as("no progress bar when not asked for").isEmpty();
    Path definition = dir.resolve("mobile.definition.json");
    assertThat(definition).exists();

    List<JsonNode> lines = read(events);
    assertThat(lines).extracting(l -> l.get("type").asText()).contains("turn", "outcome");
    assertThat(lines.stream().filter(l -> l.get("type").asText().equals("turn")).map(l -> l.get("unit_id").asText()).distinct().count())
        .isBetween(12L * 300, 12L * 380);
    assertThat(outOfOrderOutcomes(lines)).as("late outcomes arrive after later events").isPositive();

    Path decisions = dir.resolve("decisions.jsonl");
    ArbiterCliTest.Outcome backtest = ArbiterCliTest.run("backtest", "--definitions", definition.toString(), "--events", events.toString(),
        "--out", decisions.toString());
    assertThat(backtest.exitCode()).as(backtest.err()).isZero();
    assertThat(read(decisions))
        .extracting(c -> c.get("action").asText(), c -> c.get("segment").asText())
        .containsSubsequence(tuple("ALERT", "device=mobile"), tuple("ROLLBACK", "device=mobile"))
        .allSatisfy(t -> assertThat(t.toList().get(1)).isEqualTo("device=mobile"));
  }

  @Test
  void pacedRunKeepsToTheRate(@TempDir Path dir) throws Exception {
    Path events = dir.resolve("noise.jsonl");
    ArbiterCliTest.Outcome simulated = ArbiterCliTest.run("simulate", "--output", events.toString(), "--rate", "400", "--duration", "3s",
        "--speedup", "60");
    assertThat(simulated.exitCode()).as(simulated.err()).isZero();
    Matcher m = EVENTS.matcher(simulated.out());
    assertThat(m.find()).as(simulated.out()).isTrue();
    long produced = Long.parseLong(m.group(1).replace(",", ""));
    double seconds = Double.parseDouble(m.group(2));
    assertThat(read(events)).hasSize((int) produced);
    // Never faster than the rate (plus the burst of a tenth of a second); a busy machine may only make it slower.
    assertThat(produced).isLessThanOrEqualTo(Math.round(400 * seconds) + 40 + 1);
    assertThat(seconds).isBetween(2.9, 10.0);
    assertThat(produced).isGreaterThan(400);
  }

  @Test
  void progressBarOnlyWhenAskedAndUserErrorsAreOneLine(@TempDir Path dir) {
    ArbiterCliTest.Outcome shown = ArbiterCliTest.run("simulate", "--output", dir.resolve("p.jsonl").toString(), "--rate", "300",
        "--duration", "1s", "--progress");
    assertThat(shown.exitCode()).isZero();
    assertThat(shown.err()).contains("events,").contains("/s (target 300/s)").contains("[");

    ArbiterCliTest.assertOneLineUserError(ArbiterCliTest.run("simulate", "--rate", "10"), "exactly one of --bootstrap-servers");
    ArbiterCliTest.assertOneLineUserError(ArbiterCliTest.run("simulate", "--output", dir.resolve("x.jsonl").toString(), "--scenario", "nope"),
        "neither a named scenario");
    ArbiterCliTest.assertOneLineUserError(ArbiterCliTest.run("simulate", "--output", dir.resolve("x.jsonl").toString(), "--rate", "-1"),
        "--rate must be above 0");
  }

  @Test
  void scenarioFileWithItsOwnEffects(@TempDir Path dir) throws Exception {
    Path scenario = dir.resolve("slow.yaml");
    Files.writeString(dir.resolve("def.json"), JsonForm.JSON.writeValueAsString(JsonForm.toJson(
        dev.arbiter.job.simulate.RunningExample.definition(1_700_000_000_000L))));
    Files.writeString(scenario, """
        name: slow-treatment
        definition: def.json
        judge_share: 0.5
        effects:
          - {type: latency_spike, variant: treatment, from_window: 0, factor: 3.0}
        """);
    Path events = dir.resolve("slow.jsonl");
    ArbiterCliTest.Outcome simulated = ArbiterCliTest.run("simulate", "--output", events.toString(), "--scenario", scenario.toString(),
        "--rate", "30", "--duration", "3m", "--no-pacing");
    assertThat(simulated.exitCode()).as(simulated.err()).isZero();
    List<JsonNode> lines = read(events);
    assertThat(lines).extracting(l -> l.get("type").asText()).contains("judge");
    assertThat(median(lines, "treatment")).isGreaterThan(2.5 * median(lines, "control"));

    Files.writeString(scenario, "definition: def.json\neffects: [{type: meteor, factor: 2}]\n");
    ArbiterCliTest.assertOneLineUserError(ArbiterCliTest.run("simulate", "--output", events.toString(), "--scenario", scenario.toString()),
        "unknown effect type 'meteor'");
  }

  private static double median(List<JsonNode> lines, String variant) {
    double[] latencies = lines.stream().filter(l -> l.get("type").asText().equals("turn") && l.get("variant_id").asText().equals(variant))
        .mapToDouble(l -> l.get("latency_ms").asDouble()).sorted().toArray();
    return latencies[latencies.length / 2];
  }

  private static long outOfOrderOutcomes(List<JsonNode> lines) {
    long newest = Long.MIN_VALUE;
    long late = 0;
    for (JsonNode line : lines) {
      long time = line.get("event_time").asLong();
      if (time < newest && line.get("type").asText().equals("outcome")) {
        late++;
      }
      newest = Math.max(newest, time);
    }
    return late;
  }

  static List<JsonNode> read(Path file) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      nodes.add(JsonForm.JSON.readTree(line));
    }
    return nodes;
  }
}
