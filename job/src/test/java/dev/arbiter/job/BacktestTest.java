package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.simulate.JsonLines;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.JsonForm;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The running example through the real job graph on a local Flink cluster, from files. */
class BacktestTest {

  static final long START = 1_763_800_020_000L;
  static final int THIN_WINDOW = 8;

  @TempDir
  static Path dir;
  static Path definitions;
  static Path events;
  static Path out;
  static Path metrics;
  static Backtest.Result result;

  @BeforeAll
  static void runBacktest() throws Exception {
    ExperimentDefinition definition = RunningExample.definition(START);
    definitions = dir.resolve("support-bot.json");
    Files.writeString(definitions, JsonForm.JSON.writeValueAsString(JsonForm.toJson(definition)));
    // Treatment p95 latency doubles (about 4.3 s) in windows 4-6 and in the thin window 8.
    SupportBotTraffic traffic = new SupportBotTraffic(definition, 42, 10,
        window -> window == THIN_WINDOW ? 10 : 120,
        List.of(new dev.arbiter.job.simulate.Effect.LatencySpike("treatment", 4, 7, 2.0, null),
            new dev.arbiter.job.simulate.Effect.LatencySpike("treatment", THIN_WINDOW, THIN_WINDOW + 1, 2.0, null)));
    events = dir.resolve("events.jsonl.gz");
    try (Writer writer = new BufferedWriter(new OutputStreamWriter(
        new GZIPOutputStream(Files.newOutputStream(events)), StandardCharsets.UTF_8))) {
      int line = 0;
      while (traffic.hasNext()) {
        writer.write(JsonLines.of(traffic.next()));
        writer.write('\n');
        if (++line == 500) {
          writer.write("this is not json\n");
          writer.write("{\"type\":\"turn\",\"experiment_id\":\"support-bot-prompt-v2\",\"variant_id\":\"treatment\"}\n");
          writer.write(("{\"type\":\"turn\",\"experiment_id\":\"support-bot-prompt-v2\",\"variant_id\":\"treatment-typo\","
              + "\"unit_id\":\"u1\",\"request_id\":\"r1\",\"event_time\":" + (START + 1000) + ",\"latency_ms\":900}\n"));
        }
      }
    }
    out = dir.resolve("decisions.jsonl");
    metrics = dir.resolve("metrics.jsonl");
    result = new Backtest(definitions, events, out, Backtest.defaultDeadLetters(out), metrics, 2, 5_000).run();
  }

  static List<JsonNode> read(Path file) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      nodes.add(JsonForm.JSON.readTree(line));
    }
    return nodes;
  }

  @Test
  void latencySpikeAlertsAtFirstWindowAndPausesAtSecondOnly() throws Exception {
    SupportBotTraffic clock = new SupportBotTraffic(RunningExample.definition(START), 0, 0, w -> 0, List.of());
    List<JsonNode> commands = read(out);
    assertThat(commands).extracting(c -> c.get("action").asText(), c -> c.get("window_start").asLong(),
            c -> c.get("segment").asText(), c -> c.get("rule_id").asText(), c -> c.get("variant_id").asText())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("ALERT", clock.windowStart(4), "*", "latency", "treatment"),
            org.assertj.core.groups.Tuple.tuple("PAUSE_EXPOSURE", clock.windowStart(5), "*", "latency", "treatment"));
    JsonNode pause = commands.get(1);
    assertThat(pause.get("streak").asInt()).isEqualTo(2);
    assertThat(pause.get("observed").asDouble()).isGreaterThan(3000);
    assertThat(pause.get("threshold").asDouble()).isEqualTo(3000);
    assertThat(pause.get("samples").asLong()).isGreaterThanOrEqualTo(50);
    assertThat(pause.get("evidence_request_ids")).isNotEmpty();
    assertThat(pause.get("command_id").asText()).isNotEqualTo(commands.get(0).get("command_id").asText());
  }

  @Test
  void thinWindowBreachesButIsInconclusive() throws Exception {
    SupportBotTraffic clock = new SupportBotTraffic(RunningExample.definition(START), 0, 0, w -> 0, List.of());
    JsonNode thin = read(metrics).stream()
        .filter(m -> m.has("turns") && m.get("variant_id").asText().equals("treatment") && m.get("segment").asText().equals("*")
            && m.get("window_start").asLong() == clock.windowStart(THIN_WINDOW))
        .findFirst().orElseThrow();
    // The window breaches the threshold, but with fewer turns than min_samples, so no command cites it.
    assertThat(thin.get("metrics").get("latency_p95_ms").asDouble()).isGreaterThan(3000);
    assertThat(thin.get("turns").asLong()).isLessThan(50);
    assertThat(read(out)).noneMatch(c -> c.get("window_start").asLong() == clock.windowStart(THIN_WINDOW));
  }

  @Test
  void badLinesAreDeadLetteredWithReasonsAndTheRunGoesOn() throws Exception {
    List<JsonNode> dead = read(Backtest.defaultDeadLetters(out));
    assertThat(dead).extracting(d -> d.get("reason").asText())
        .containsExactlyInAnyOrder("malformed_json", "missing_field", "unknown_variant");
    assertThat(dead).allSatisfy(d -> assertThat(d.get("source_offset").asLong()).isBetween(501L, 503L));
    assertThat(result.deadLettersByReason()).containsEntry("malformed_json", 1).containsEntry("unknown_variant", 1);
    assertThat(result.summary()).contains("2 command(s)").contains("3 dead letter(s)");
  }

  @Test
  void replayGivesTheSameDecisions() throws Exception {
    Path again = dir.resolve("again.jsonl");
    new Backtest(definitions, events, again, dir.resolve("again-dead.jsonl"), null, 1, 5_000).run();
    assertThat(Files.readAllLines(again)).isEqualTo(Files.readAllLines(out));
  }
}
