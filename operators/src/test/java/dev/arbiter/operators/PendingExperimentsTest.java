package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class PendingExperimentsTest {
  static final long HOLD = 300_000;

  static KeyedTwoInputStreamOperatorTestHarness<String, Ingested, ExperimentDefinition, Observation> harness() throws Exception {
    var harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new PendingExperiments(HOLD)),
        Ingested::experimentId, ExperimentDefinition::getExperimentId, Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    return harness;
  }

  static ExperimentDefinition definition(String experiment, int version) {
    return GuardrailEvaluatorTest.definition(b -> b.setExperimentId(experiment).setAssignmentSalt(experiment).setVersion(version));
  }

  static Ingested turn(String experiment, String variant, String request, long eventTime) {
    Ingested in = new Ingested();
    in.turn = TurnEvent.newBuilder().setExperimentId(experiment).setVariantId(variant).setUnitId("u-" + request)
        .setRequestId(request).setEventTime(eventTime).setLatencyMs(900).setCostUsd(0.002).setPromptTokens(10)
        .setCompletionTokens(5).setTtftMs(120.0).setSegments(Map.of()).build();
    in.sourceTopic = "llm.turns";
    in.sourcePartition = 0;
    in.sourceOffset = eventTime;
    return in;
  }

  private static List<String> requests(List<Observation> released) {
    return released.stream().map(o -> o.experimentId + "/" + o.requestId).toList();
  }

  @Test
  void aDefinitionReleasesTheEventsOfItsOwnExperimentOnly() throws Exception {
    try (var harness = harness()) {
      harness.open();
      harness.processElement1(turn("a", "control", "a1", 1_000), 1_000);
      harness.processElement1(turn("b", "control", "b1", 2_000), 2_000);
      harness.processElement1(turn("a", "treatment", "a2", 3_000), 3_000);
      assertThat(harness.extractOutputValues()).isEmpty();

      harness.processElement2(definition("a", 1), 0);
      assertThat(requests(harness.extractOutputValues())).containsExactly("a/a1", "a/a2");

      // Known now: the next event of a passes straight through; b still waits.
      harness.processElement1(turn("a", "control", "a3", 4_000), 4_000);
      assertThat(requests(harness.extractOutputValues())).containsExactly("a/a1", "a/a2", "a/a3");
      harness.processElement2(definition("b", 1), 0);
      assertThat(requests(harness.extractOutputValues())).containsExactly("a/a1", "a/a2", "a/a3", "b/b1");
    }
  }

  @Test
  void anEventNotAdmittedByItsDefinitionIsADeadLetterWhenReleased() throws Exception {
    try (var harness = harness()) {
      harness.open();
      harness.processElement1(turn("a", "no-such-variant", "a1", 1_000), 1_000);
      harness.processElement2(definition("a", 1), 0);
      assertThat(harness.extractOutputValues()).isEmpty();
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(r -> r.getValue().getReason())
          .containsExactly("unknown_variant");
    }
  }

  @Test
  void anOlderVersionChangesNothingAndAnUnknownExperimentIsDeadLetteredAfterTheHold() throws Exception {
    try (var harness = harness()) {
      harness.open();
      harness.processElement2(definition("a", 5), 0);
      harness.processElement2(definition("a", 4), 0);
      harness.processElement1(turn("a", "control", "a1", 1_000), 1_000);
      assertThat(harness.extractOutputValues()).extracting(o -> o.definitionVersion).containsExactly(5);

      harness.processElement1(turn("x", "control", "x1", 1_000), 1_000);
      harness.processBothWatermarks(new Watermark(1_000 + HOLD - 1));
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).isNull();
      harness.processBothWatermarks(new Watermark(1_000 + HOLD));
      DeadLetter letter = harness.getSideOutput(Outputs.DEAD_LETTERS).poll().getValue();
      assertThat(letter.getReason()).isEqualTo("unknown_experiment");
      assertThat(letter.getDetail()).contains("'x' is not registered");
    }
  }

  @Test
  void heldEventsAndKnownDefinitionsSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = harness()) {
      harness.open();
      harness.processElement2(definition("a", 2), 0);
      harness.processElement1(turn("b", "control", "b1", 1_000), 1_000);
      snapshot = harness.snapshot(1, 1);
    }
    try (var restored = harness()) {
      restored.initializeState(snapshot);
      restored.open();
      restored.processElement1(turn("a", "control", "a1", 2_000), 2_000);
      restored.processElement2(definition("b", 1), 0);
      assertThat(requests(restored.extractOutputValues())).containsExactly("a/a1", "b/b1");
    }
  }

  @Test
  void theRegistryAnEarlierBuildKeptInBroadcastStateIsDroppedOnRestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = harness()) {
      harness.open();
      // What a savepoint of the broadcast-state build holds for this operator.
      harness.getOperator().getOperatorStateBackend().getBroadcastState(Outputs.REGISTRY).put("a", definition("a", 1));
      harness.processElement1(turn("b", "control", "b1", 1_000), 1_000);
      snapshot = harness.snapshot(1, 1);
    }
    try (var restored = harness()) {
      restored.initializeState(snapshot);
      restored.open();
      assertThat(restored.getOperator().getOperatorStateBackend().getBroadcastState(Outputs.REGISTRY).entries()).isEmpty();
      restored.processElement2(definition("b", 1), 0);
      assertThat(requests(restored.extractOutputValues())).containsExactly("b/b1");
    }
  }
}
