package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.wire.Rejection;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class TurnChecksTest {

  static TurnEvent turn(Consumer<TurnEvent.Builder> change) {
    TurnEvent.Builder builder = TurnEvent.newBuilder().setExperimentId("e").setVariantId("treatment").setUnitId("u")
        .setRequestId("r").setEventTime(1_000_000).setLatencyMs(900).setCostUsd(0.002).setPromptTokens(10).setCompletionTokens(5);
    change.accept(builder);
    return builder.build();
  }

  static TurnChecks.Problem problem(Consumer<TurnEvent.Builder> change) {
    return TurnChecks.check(turn(change));
  }

  @Test
  void soundTurnPasses() {
    assertThat(problem(b -> { })).isNull();
  }

  @Test
  void impossibleMeasurementsAreRefusedWithTheFieldNamed() {
    assertThat(problem(b -> b.setLatencyMs(-1)).detail()).contains("latency_ms");
    assertThat(problem(b -> b.setLatencyMs(Double.NaN)).rejection()).isEqualTo(Rejection.INVALID_FIELD);
    assertThat(problem(b -> b.setLatencyMs(Double.POSITIVE_INFINITY)).detail()).contains("latency_ms");
    assertThat(problem(b -> b.setCostUsd(Double.NaN)).detail()).contains("cost_usd");
    assertThat(problem(b -> b.setCostUsd(-0.5)).detail()).contains("cost_usd");
    assertThat(problem(b -> b.setCompletionTokens(2_000_000_000)).detail()).contains("completion_tokens");
    assertThat(problem(b -> b.setPromptTokens(-3)).detail()).contains("prompt_tokens");
    assertThat(problem(b -> b.setTtftMs(-2.0)).detail()).contains("ttft_ms");
    assertThat(problem(b -> b.setUserFeedback(5)).detail()).contains("user_feedback");
    assertThat(problem(b -> b.setEventTime(0)).detail()).contains("event_time");
  }

  @Test
  void emptyOrHugeIdsAreRefused() {
    assertThat(problem(b -> b.setUnitId("")).rejection()).isEqualTo(Rejection.MISSING_FIELD);
    assertThat(problem(b -> b.setRequestId("  ")).detail()).contains("request_id");
    assertThat(problem(b -> b.setRequestId("x".repeat(10 * 1024 * 1024))).detail()).contains("at most 256");
  }

  @Test
  void turnMustBelongToItsRegisteredExperiment() {
    ExperimentDefinition definition = ExperimentDefinition.newBuilder().setExperimentId("e").setVersion(1)
        .setControlVariant("control").setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", 0.5)))
        .setAssignmentSalt("e").setStartTime(500_000).setWindowMs(60_000).build();
    assertThat(TurnChecks.check(turn(b -> { }), definition)).isNull();
    assertThat(TurnChecks.check(turn(b -> b.setVariantId("treatment-b")), definition).rejection()).isEqualTo(Rejection.UNKNOWN_VARIANT);
    assertThat(TurnChecks.check(turn(b -> b.setEventTime(499_999)), definition).rejection())
        .isEqualTo(Rejection.BEFORE_EXPERIMENT_START);
  }
}
