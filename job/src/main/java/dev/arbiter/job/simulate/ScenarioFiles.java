package dev.arbiter.job.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.DefinitionFiles;
import dev.arbiter.wire.JsonForm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A scenario of the load generator read from a JSON or YAML file: the definition (a path relative
 * to the file, or inline) and the effects to inject, e.g.
 *
 * <pre>
 * name: slow-treatment
 * definition: support-bot.yaml
 * judge_share: 0.2
 * effects:
 *   - {type: latency_spike, variant: treatment, from_window: 4, to_window: 8, factor: 2.0}
 *   - {type: safety_regression, variant: treatment, unsafe_rate: 0.02, only_device: mobile}
 * </pre>
 *
 * Effect types: latency_spike (factor, only_cache), safety_regression (unsafe_rate, only_device),
 * cost_change (factor), judge_drop (delta), resolution_shift (delta), routing_bug (fraction),
 * leak (fraction); from_window defaults to 0 and to_window to the end of the run.
 */
public final class ScenarioFiles {
  private ScenarioFiles() {}

  /** @throws IllegalArgumentException with one line naming the file and the problem */
  public static Scenarios.Scenario load(Path file) {
    JsonNode root;
    try {
      root = JsonForm.YAML.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON or YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(file + ": a scenario file holds one object with 'definition' and 'effects'");
    }
    ExperimentDefinition definition = definition(file, root.get("definition"));
    List<Effect> effects = new ArrayList<>();
    JsonNode list = root.path("effects");
    for (int i = 0; i < list.size(); i++) {
      effects.add(effect(file + ": effects[" + i + "]", list.get(i)));
    }
    double judgeShare = root.path("judge_share").asDouble(0);
    if (judgeShare < 0 || judgeShare > 1) {
      throw new IllegalArgumentException(file + ": judge_share must be between 0 and 1, got " + judgeShare);
    }
    String name = root.path("name").asText(file.getFileName().toString());
    List<Effect> fixed = List.copyOf(effects);
    return new Scenarios.Scenario(name, root.path("description").asText("scenario file " + file), definition,
        seed -> new SupportBotTraffic(definition, seed, Scenarios.WINDOWS, w -> 170, fixed, judgeShare, 120_000), fixed, judgeShare);
  }

  private static ExperimentDefinition definition(Path file, JsonNode node) {
    if (node == null || node.isNull()) {
      throw new IllegalArgumentException(file + ": 'definition' is missing (a definition file path or an inline definition)");
    }
    if (node.isTextual()) {
      Path referenced = file.toAbsolutePath().getParent().resolve(node.asText());
      List<ExperimentDefinition> definitions = DefinitionFiles.load(referenced);
      if (definitions.size() != 1) {
        throw new IllegalArgumentException(file + ": definition " + referenced + " must hold exactly one definition, it holds " + definitions.size());
      }
      return definitions.get(0);
    }
    try {
      Path inline = Files.createTempFile("arbiter-scenario-definition", ".json");
      try {
        Files.writeString(inline, JsonForm.JSON.writeValueAsString(node));
        return DefinitionFiles.load(inline).get(0);
      } finally {
        Files.deleteIfExists(inline);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": inline definition: " + e.getMessage().replaceFirst("^\\S+: ", ""));
    }
  }

  private static Effect effect(String where, JsonNode node) {
    String type = node.path("type").asText("");
    int from = node.path("from_window").asInt(0);
    int to = node.path("to_window").asInt(Integer.MAX_VALUE);
    String variant = node.hasNonNull("variant") ? node.get("variant").asText() : null;
    return switch (type) {
      case "latency_spike" -> new Effect.LatencySpike(variant, from, to, number(where, node, "factor"),
          node.hasNonNull("only_cache") ? cache(where, node.get("only_cache").asText()) : null);
      case "safety_regression" -> new Effect.SafetyRegression(variant, from, to, number(where, node, "unsafe_rate"),
          node.hasNonNull("only_device") ? node.get("only_device").asText() : null);
      case "cost_change" -> new Effect.CostChange(variant, from, to, number(where, node, "factor"));
      case "judge_drop" -> new Effect.JudgeDrop(variant, from, to, number(where, node, "delta"));
      case "resolution_shift" -> new Effect.ResolutionShift(variant, from, to, number(where, node, "delta"));
      case "routing_bug" -> new Effect.RoutingBug(variant == null ? "treatment" : variant, from, to, number(where, node, "fraction"));
      case "leak" -> new Effect.Leak(from, to, number(where, node, "fraction"));
      default -> throw new IllegalArgumentException(where + ": unknown effect type '" + type
          + "'; known: latency_spike, safety_regression, cost_change, judge_drop, resolution_shift, routing_bug, leak");
    };
  }

  private static double number(String where, JsonNode node, String field) {
    if (!node.path(field).isNumber()) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be a number");
    }
    return node.get(field).asDouble();
  }

  private static CacheState cache(String where, String value) {
    try {
      return CacheState.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": only_cache must be warm or cold, got '" + value + "'");
    }
  }
}
