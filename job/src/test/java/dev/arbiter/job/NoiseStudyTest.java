package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.JsonForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Never act on noise", measured: 200 seeded experiments without any effect, at the running
 * example's traffic and with its guardrail rules (no primary design: this measures the guardrails),
 * through one backtest. The README records the counts.
 */
class NoiseStudyTest {
  static final int EXPERIMENTS = 200;
  static final int WINDOWS = 10;
  static final int CONVERSATIONS_PER_WINDOW = 170;
  static final long START = 1_763_800_020_000L;

  @TempDir
  Path dir;

  @Test
  void noiseOnlyExperimentsCauseNoAction() throws Exception {
    Path definitions = Files.createDirectory(dir.resolve("definitions"));
    List<SupportBotTraffic> traffic = new ArrayList<>();
    for (int i = 0; i < EXPERIMENTS; i++) {
      String id = String.format("noise-%03d", i);
      ExperimentDefinition definition = ExperimentDefinition.newBuilder(RunningExample.definition(START))
          .setExperimentId(id).setAssignmentSalt(id).setPrimary(null).build();
      Files.writeString(definitions.resolve(id + ".json"), JsonForm.JSON.writeValueAsString(JsonForm.toJson(definition)));
      traffic.add(new SupportBotTraffic(definition, 1_000 + i, WINDOWS, w -> CONVERSATIONS_PER_WINDOW, List.of()));
    }
    Path events = dir.resolve("noise.jsonl.gz");
    long lines = EventFiles.writeMerged(traffic, events);
    Path out = dir.resolve("decisions.jsonl");
    long started = System.nanoTime();
    Backtest.Result result = new Backtest(definitions, events, out, dir.resolve("dead.jsonl"), null, 2, 5_000).run();
    double seconds = (System.nanoTime() - started) / 1e9;

    Map<String, Integer> byAction = new TreeMap<>();
    for (String line : Files.readAllLines(out)) {
      JsonNode command = JsonForm.JSON.readTree(line);
      byAction.merge(command.get("action").asText(), 1, Integer::sum);
    }
    int actions = byAction.entrySet().stream().filter(e -> !e.getKey().equals("ALERT")).mapToInt(Map.Entry::getValue).sum();
    System.out.printf("noise study: %d experiments x %d windows, %,d events in %.1f s; commands %s; false actions %d%n",
        EXPERIMENTS, WINDOWS, lines, seconds, byAction, actions);
    assertThat(result.deadLettersByReason()).isEmpty();
    assertThat(actions).as("actions taken on pure noise").isZero();
  }
}
