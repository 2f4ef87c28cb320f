package dev.arbiter.operators;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.WindowSummary;
import java.util.List;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;

/**
 * Runs the {@link GuardrailEvaluator} with the summaries that wait for their timer on the heap, and
 * writes those still waiting to keyed state before every checkpoint barrier, so each snapshot and
 * savepoint holds them. Its state (keyed, timers, the broadcast registry) is the broadcast
 * operator's, so savepoints of either restore into the other.
 */
public class GuardrailEvaluatorOperator extends CoBroadcastWithKeyedOperator<String, WindowSummary, ExperimentDefinition, ControlCommand> {

  public GuardrailEvaluatorOperator(GuardrailEvaluator evaluator) {
    super(evaluator, List.of(Outputs.REGISTRY));
  }

  @Override
  public void open() throws Exception {
    super.open();
    evaluator().holdSummaries();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    evaluator().writeBack(this);
  }

  private GuardrailEvaluator evaluator() {
    return (GuardrailEvaluator) getUserFunction();
  }
}
