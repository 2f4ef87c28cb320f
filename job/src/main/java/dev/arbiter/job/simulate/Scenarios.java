package dev.arbiter.job.simulate;

import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import java.util.List;

import java.util.function.Function;

/**
 * Named traffic scenarios with known injected effects, each paired with the rules that should
 * catch it (or, for noise and the cold-cache canary, should stay silent). Effects run from window
 * {@link #FROM} to the end; windows before it are clean.
 */
public final class Scenarios {
  public static final int WINDOWS = 12;
  public static final int FROM = 4;
  /**
   * Clean windows before a fired rule re-arms. One is too eager for a rate that sits near its
   * threshold: a single lucky window would re-arm it and the next breach would alert again.
   */
  static final int RECOVERY_WINDOWS = 3;

  /**
   * One scenario: the definition it is judged by, a generator of its traffic (by seed), and the
   * effects and judge share behind it, so a load generator can replay them at another rate.
   */
  public record Scenario(String name, String description, ExperimentDefinition definition,
      Function<Long, SupportBotTraffic> traffic, List<Effect> effects, double judgeShare) {}

  private Scenarios() {}

  public static final List<String> NAMES = List.of("noise", "cold-cache", "mobile-safety", "cost-ratio", "judge-drop", "routing-srm", "leak",
      "lift", "harm", "no-effect", "routing-lift", "judge-primary");
  /** Windows of the sequential scenarios: at 85 units per arm and window, enough to pass the final look (1,471 per arm). */
  public static final int SEQUENTIAL_WINDOWS = 20;

  public static Scenario named(String name, long startTime) {
    ExperimentDefinition base = RunningExample.definition(startTime);
    return switch (name) {
      case "noise" -> scenario(name, "no effect at the running example's traffic, judged by its rules",
          base, base.getGuardrails(), List.of(), 170, 0);
      case "cold-cache" -> scenario(name, "treatment 3x slower on cold replicas only; the rule reads warm latency",
          base, rule("warm-latency", "latency_p95_ms.warm", "treatment", "max", 3000.0, 50, "PAUSE_EXPOSURE", List.of("*")),
          List.of(new Effect.LatencySpike("treatment", FROM, WINDOWS, 3.0, CacheState.cold)), 170, 0);
      case "mobile-safety" -> scenario(name, "3% unsafe answers for the treatment on mobile only",
          base, rule("safety", "safety_pass_rate", "treatment", "min", 0.99, 150, "ROLLBACK", List.of("device=*")),
          List.of(new Effect.SafetyRegression("treatment", FROM, WINDOWS, 0.03, "mobile")), 340, 0);
      case "cost-ratio" -> scenario(name, "prices halve for everyone while the treatment costs 1.5x the control",
          base, List.of(
              rule("cost-absolute", "cost_per_turn_usd", "treatment", "max", 0.0025, 50, "REVIEW", List.of("*")),
              rule("cost-ratio", "cost_per_turn_usd", "ratio_to_control", "max", 1.25, 50, "REVIEW", List.of("*"))),
          List.of(new Effect.CostChange(null, FROM, WINDOWS, 0.5), new Effect.CostChange("treatment", FROM, WINDOWS, 1.5)), 170, 0);
      case "judge-drop" -> scenario(name, "treatment helpfulness drops by 1 point; judge scores arrive 2 minutes after their turns",
          base, rule("helpfulness", "judge_helpfulness_mean", "difference_to_control", "min", -0.5, 100, "PAUSE_EXPOSURE", List.of("*")),
          List.of(new Effect.JudgeDrop("treatment", FROM, WINDOWS, -1.0)), 170, 1.0);
      case "routing-srm" -> scenario(name, "a router sends 20% of control units to the treatment",
          base, List.of(), List.of(new Effect.RoutingBug("treatment", FROM, WINDOWS, 0.2)), 170, 0);
      case "leak" -> scenario(name, "10% of conversations switch variant after their first turn",
          base, rule("assignment", "assignment_mismatch_rate", "treatment", "max", 0.02, 100, "REVIEW", List.of("*")),
          List.of(new Effect.Leak(FROM, WINDOWS, 0.1)), 170, 0);
      case "lift" -> sequential(name, "the treatment resolves 5 points more conversations (0.60 -> 0.65)", base, 0.05);
      case "harm" -> sequential(name, "the treatment resolves 5 points fewer conversations (0.60 -> 0.55)", base, -0.05);
      case "no-effect" -> sequential(name, "no effect on resolution, run to the final look", base, 0.0);
      case "routing-lift" -> sequential(name, "a +5 point lift behind a router that sends 20% of control units to the treatment", base, 0.05,
          new Effect.RoutingBug("treatment", 0, SEQUENTIAL_WINDOWS, 0.2));
      case "judge-primary" -> judgePrimary(name, base);
      default -> throw new IllegalArgumentException("unknown scenario '" + name + "'; known: " + NAMES);
    };
  }

  private static Scenario scenario(String name, String description, ExperimentDefinition base, GuardrailRule rule,
      List<Effect> effects, int conversations, double judgeShare) {
    return scenario(name, description, base, List.of(rule), effects, conversations, judgeShare);
  }

  private static Scenario scenario(String name, String description, ExperimentDefinition base, List<GuardrailRule> rules,
      List<Effect> effects, int conversations, double judgeShare) {
    // Guardrail scenarios carry no primary design, as a guardrail-only canary: only the rules speak.
    ExperimentDefinition definition = ExperimentDefinition.newBuilder(base)
        .setExperimentId("support-bot-" + name).setAssignmentSalt("support-bot-" + name).setGuardrails(rules).setPrimary(null).build();
    return new Scenario(name, description, definition, seed -> traffic(definition, seed, conversations, effects, judgeShare),
        List.copyOf(effects), judgeShare);
  }

  /** A primary-metric scenario: the running example's design and no guardrail, so only the sequential monitor speaks. */
  private static Scenario sequential(String name, String description, ExperimentDefinition base, double shift, Effect... more) {
    ExperimentDefinition definition = ExperimentDefinition.newBuilder(base)
        .setExperimentId("support-bot-" + name).setAssignmentSalt("support-bot-" + name).setGuardrails(List.of()).build();
    List<Effect> effects = new java.util.ArrayList<>(List.of(more));
    if (shift != 0) {
      effects.add(new Effect.ResolutionShift("treatment", 0, SEQUENTIAL_WINDOWS, shift));
    }
    return new Scenario(name, description, definition,
        seed -> new SupportBotTraffic(definition, seed, SEQUENTIAL_WINDOWS, w -> 170, effects, 0, 0), List.copyOf(effects), 0);
  }

  /** A continuous primary: each conversation's mean helpfulness, 4.2 for control and 3.9 for the treatment. */
  private static Scenario judgePrimary(String name, ExperimentDefinition base) {
    ExperimentDefinition definition = ExperimentDefinition.newBuilder(base)
        .setExperimentId("support-bot-" + name).setAssignmentSalt("support-bot-" + name).setGuardrails(List.of())
        .setPrimary(dev.arbiter.avro.PrimaryMetricDesign.newBuilder(base.getPrimary()).setMetric("judge_helpfulness_mean")
            .setPlannedUnitsPerArm(400).build())
        .build();
    List<Effect> effects = List.of(new Effect.JudgeDrop("treatment", 0, SEQUENTIAL_WINDOWS, -0.3));
    return new Scenario(name, "treatment helpfulness per conversation drops by 0.3 points, tested on unit means", definition,
        seed -> new SupportBotTraffic(definition, seed, 12, w -> 170, effects, 1.0, 120_000), effects, 1.0);
  }

  private static SupportBotTraffic traffic(ExperimentDefinition definition, long seed, int conversations, List<Effect> effects,
      double judgeShare) {
    return new SupportBotTraffic(definition, seed, WINDOWS, w -> conversations, effects, judgeShare, 120_000);
  }

  static GuardrailRule rule(String id, String metric, String scope, String direction, double threshold, long minSamples,
      String action, List<String> segments) {
    return GuardrailRule.newBuilder().setId(id).setMetric(metric).setScope(scope).setDirection(direction).setThreshold(threshold)
        .setMinSamples(minSamples).setConsecutiveWindows(2).setRecoveryWindows(RECOVERY_WINDOWS).setAction(action).setSegments(segments).build();
  }

}
