package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.core.Ingested;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class RegistryGateTest {

  static Ingested definition(double treatmentShare) {
    Ingested in = new Ingested();
    in.sourceTopic = "experiments";
    in.sourcePartition = 0;
    in.sourceOffset = 7;
    in.definition = ExperimentDefinition.newBuilder().setExperimentId("e").setVersion(2).setControlVariant("control")
        .setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", treatmentShare)))
        .setAssignmentSalt("e").setStartTime(1_000).setWindowMs(60_000).build();
    return in;
  }

  @Test
  void validDefinitionPassesAndInvalidOneIsRejectedWithWhatToFix() throws Exception {
    try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(new RegistryGate())) {
      harness.processElement(definition(0.5), 0);
      harness.processElement(definition(0.7), 0);
      assertThat(harness.extractOutputValues()).singleElement().extracting(ExperimentDefinition::getVersion).isEqualTo(2);
      assertThat(harness.getSideOutput(Outputs.DEAD_LETTERS)).extracting(StreamRecord::getValue).singleElement()
          .satisfies((DeadLetter d) -> {
            assertThat(d.getReason()).isEqualTo("invalid_definition");
            assertThat(d.getDetail()).contains("shares must sum to 1");
            assertThat(d.getSourceOffset()).isEqualTo(7);
          });
      assertThat(harness.getSideOutput(Outputs.COMMANDS)).extracting(StreamRecord::getValue).singleElement()
          .satisfies((ControlCommand c) -> {
            assertThat(c.getAction()).isEqualTo("REGISTRATION_REJECTED");
            assertThat(c.getReason()).contains("shares must sum to 1");
          });
    }
  }
}
