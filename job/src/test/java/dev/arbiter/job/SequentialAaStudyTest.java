package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.stats.TwoProportionTest;
import dev.arbiter.wire.JsonForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 A/A experiments (200 definitions, one events file) through one backtest: the sequential
 * monitor stops for efficacy or harm in a share consistent with alpha, while the same data judged
 * by an ordinary p-value at every window close would have stopped far more often.
 */
class SequentialAaStudyTest {
  static final int EXPERIMENTS = 200;
  static final int WINDOWS = 8;
  static final long PLANNED_PER_ARM = 500;
  static final long START = 1_763_800_020_000L;
  static final double ALPHA = 0.05;

  @TempDir
  Path dir;

  @Test
  void aaExperimentsStopAtAboutAlphaAndNaivePeekingFarMoreOften() throws Exception {
    Path definitions = Files.createDirectory(dir.resolve("definitions"));
    List<SupportBotTraffic> traffic = new ArrayList<>();
    for (int i = 0; i < EXPERIMENTS; i++) {
      String id = String.format("aa-%03d", i);
      ExperimentDefinition base = RunningExample.definition(START);
      ExperimentDefinition definition = ExperimentDefinition.newBuilder(base).setExperimentId(id).setAssignmentSalt(id)
          .setGuardrails(List.of()).setSrmCheck(false)
          .setPrimary(PrimaryMetricDesign.newBuilder(base.getPrimary()).setPlannedUnitsPerArm(PLANNED_PER_ARM).build()).build();
      Files.writeString(definitions.resolve(id + ".json"), JsonForm.JSON.writeValueAsString(JsonForm.toJson(definition)));
      traffic.add(new SupportBotTraffic(definition, 5_000 + i, WINDOWS, w -> 170, List.of()));
    }
    Path events = dir.resolve("aa.jsonl.gz");
    EventFiles.writeMerged(traffic, events);
    Path out = dir.resolve("decisions.jsonl");
    Path metrics = dir.resolve("metrics.jsonl");
    new Backtest(definitions, events, out, dir.resolve("dead.jsonl"), metrics, 2, 5_000).run();

    Map<String, Integer> stops = new TreeMap<>();
    for (String line : Files.readAllLines(out)) {
      stops.merge(JsonForm.JSON.readTree(line).get("action").asText(), 1, Integer::sum);
    }
    int sequentialStops = stops.getOrDefault("STOP_EFFICACY", 0) + stops.getOrDefault("STOP_HARM", 0);

    // The same data, judged naively: an ordinary two-sided p < alpha on the cumulative counts at every window close.
    Map<String, long[]> cumulative = new HashMap<>();
    Set<String> naiveStops = new HashSet<>();
    List<JsonNode> rollups = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonNode m = JsonForm.JSON.readTree(line);
      if (m.has("turns") && m.get("segment").asText().equals("*") && m.get("metrics").has("resolution_rate")) {
        rollups.add(m);
      }
    }
    rollups.sort(Comparator.comparingLong(m -> m.get("window_start").asLong()));
    long window = Long.MIN_VALUE;
    for (JsonNode m : rollups) {
      if (m.get("window_start").asLong() != window) {
        window = m.get("window_start").asLong();
        peek(cumulative, naiveStops);
      }
      long units = m.get("samples").get("resolution_rate").asLong();
      long successes = Math.round(m.get("metrics").get("resolution_rate").asDouble() * units);
      long[] counts = cumulative.computeIfAbsent(m.get("experiment_id").asText(), k -> new long[4]);
      int arm = m.get("variant_id").asText().equals("control") ? 0 : 2;
      counts[arm] += units;
      counts[arm + 1] += successes;
    }
    peek(cumulative, naiveStops);

    BinomialDistribution underAlpha = new BinomialDistribution(EXPERIMENTS, ALPHA);
    int low = underAlpha.inverseCumulativeProbability(0.005);
    int high = underAlpha.inverseCumulativeProbability(0.995);
    System.out.printf("A/A study: %d experiments, decisions %s; sequential stops %d (99%% binomial range under alpha: %d-%d);"
        + " naive peeking at every window close would have stopped %d%n", EXPERIMENTS, stops, sequentialStops, low, high, naiveStops.size());
    assertThat(stops.getOrDefault("STOP_EFFICACY", 0) + stops.getOrDefault("STOP_HARM", 0) + stops.getOrDefault("STOP_NO_EFFECT", 0))
        .as("every experiment reaches a decision").isEqualTo(EXPERIMENTS);
    assertThat(sequentialStops).isBetween(low, high);
    assertThat(naiveStops.size()).isGreaterThan(sequentialStops);
  }

  private static void peek(Map<String, long[]> cumulative, Set<String> naiveStops) {
    cumulative.forEach((experiment, c) -> {
      if (c[0] > 30 && c[2] > 30 && TwoProportionTest.of(c[0], c[1], c[2], c[3]).pValue() < ALPHA) {
        naiveStops.add(experiment);
      }
    });
  }
}
