package dev.arbiter.operators;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.OutputTag;

/** Side outputs and the broadcast registry state shared by Arbiter's operators. */
public final class Outputs {
  public static final TypeInformation<DeadLetter> DEAD_LETTER_TYPE = new AvroTypeInfo<>(DeadLetter.class);
  public static final TypeInformation<ControlCommand> COMMAND_TYPE = new AvroTypeInfo<>(ControlCommand.class);
  public static final TypeInformation<ExperimentDefinition> DEFINITION_TYPE = new AvroTypeInfo<>(ExperimentDefinition.class);
  public static final TypeInformation<WindowSummary> SUMMARY_TYPE = new AvroTypeInfo<>(WindowSummary.class);

  /** Rejected and late records, each with a reason. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", DEAD_LETTER_TYPE);
  /** Commands that do not come from the guardrail evaluator (registration rejections). */
  public static final OutputTag<ControlCommand> COMMANDS = new OutputTag<>("commands", COMMAND_TYPE);
  /** Every rule's verdict on every judged window, for the metrics topic. */
  public static final OutputTag<RuleVerdict> VERDICTS = new OutputTag<>("verdicts", new AvroTypeInfo<>(RuleVerdict.class));
  /** Sequential looks at the primary metric, for the metrics topic. */
  public static final OutputTag<SequentialLook> LOOKS = new OutputTag<>("looks", new AvroTypeInfo<>(SequentialLook.class));
  /** Turns of experiments not (yet) in the registry, to be held until their definition arrives. */
  public static final OutputTag<Ingested> PENDING = new OutputTag<>("pending", IngestedTypeInfo.INSTANCE);

  /** The registry: experiment id to its newest accepted definition, broadcast to every operator that needs it. */
  public static final MapStateDescriptor<String, ExperimentDefinition> REGISTRY =
      new MapStateDescriptor<>("experiment-registry", Types.STRING, DEFINITION_TYPE);

  private Outputs() {}
}
