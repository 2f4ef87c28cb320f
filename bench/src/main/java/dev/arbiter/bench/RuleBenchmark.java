package dev.arbiter.bench;

import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Guardrail;
import dev.arbiter.core.Observation;
import dev.arbiter.core.Streak;
import dev.arbiter.core.Verdict;
import dev.arbiter.core.WindowStats;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/** Once per closed window: the summary of a WindowStats and the running example's four rules with their streaks. */
public class RuleBenchmark extends HotPathBenchmark {
  private WindowStats treatmentStats;
  private WindowSummary treatment;
  private WindowSummary control;
  private List<Guardrail> guardrails;
  private Streak[] streaks;

  @Setup
  public void setUp() {
    Observation[] turns = Samples.placedTurns();
    treatmentStats = new WindowStats(0, 60_000, 30_000, 1);
    WindowStats controlStats = new WindowStats(0, 60_000, 30_000, 1);
    for (Observation turn : turns) {
      (turn.variantId.equals("control") ? controlStats : treatmentStats).add(turn, false);
    }
    treatment = summary("treatment", treatmentStats);
    control = summary("control", controlStats);
    guardrails = new ArrayList<>();
    for (GuardrailRule rule : Samples.definition().getGuardrails()) {
      guardrails.add(new Guardrail(rule));
    }
    streaks = new Streak[guardrails.size()];
    for (int i = 0; i < streaks.length; i++) {
      streaks[i] = new Streak();
    }
  }

  static WindowSummary summary(String variant, WindowStats stats) {
    return WindowSummary.newBuilder()
        .setExperimentId("bench").setDefinitionVersion(stats.definitionVersion()).setVariantId(variant).setSegment("*")
        .setWindowStart(stats.windowStart()).setWindowEnd(stats.windowEnd())
        .setTurns(stats.turns()).setUnits(stats.units()).setNewUnits(stats.newUnits())
        .setErrors(stats.errors()).setUnsafe(stats.unsafe()).setEmptyResponses(stats.emptyResponses())
        .setCostUsd(stats.costUsd()).setPromptTokens(stats.promptTokens()).setCompletionTokens(stats.completionTokens())
        .setLateEvents(stats.lateEvents()).setSamples(stats.samples()).setUnitMoments(stats.unitMoments())
        .setMetrics(stats.metrics()).setEvidenceRequestIds(stats.evidenceRequestIds())
        .build();
  }

  /** Closing a window: metrics (three sketch quantile reads per sketch) and the summary record. */
  @Benchmark
  public WindowSummary summarize() {
    return summary("treatment", treatmentStats);
  }

  /** Judging one closed window: four rules evaluated against their thresholds, each streak updated. */
  @Benchmark
  public void evaluateRules(Blackhole sink) {
    for (int i = 0; i < guardrails.size(); i++) {
      Guardrail guardrail = guardrails.get(i);
      Verdict verdict = guardrail.evaluate(treatment, control, guardrail.levels().get(0).fixedThreshold());
      sink.consume(streaks[i].record(verdict.kind(), guardrail.rule().getConsecutiveWindows(),
          guardrail.rule().getRecoveryWindows()));
    }
  }
}
