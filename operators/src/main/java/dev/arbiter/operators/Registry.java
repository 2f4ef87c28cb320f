package dev.arbiter.operators;

import dev.arbiter.avro.ExperimentDefinition;
import org.apache.flink.api.common.state.BroadcastState;

/** Keeps the newest version of each definition in broadcast state; older or equal versions are ignored. */
final class Registry {
  private Registry() {}

  /** @return true when the definition replaced what was there */
  static boolean accept(BroadcastState<String, ExperimentDefinition> state, ExperimentDefinition definition) throws Exception {
    ExperimentDefinition current = state.get(definition.getExperimentId());
    if (current != null && current.getVersion() >= definition.getVersion()) {
      return false;
    }
    state.put(definition.getExperimentId(), definition);
    return true;
  }
}
