package dev.arbiter.job;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.WindowSummary;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The places where a build of the job may add stateless stages or change operator chaining around
 * the stateful operators, whose uids ({@link ArbiterJob.Uid}) never change. A savepoint of one build
 * restores into another because state is matched by uid, not by position or chain; the savepoint
 * upgrade test builds a newer revision of the graph through these hooks. A stage added here carries
 * its own uid, so the revision after it can restore its savepoint too.
 */
public interface GraphHooks {
  /** This build: nothing added. */
  GraphHooks NONE = new GraphHooks() {};

  /**
   * The window aggregator's output on its way to the guardrail evaluator; the metrics sink and the
   * dead letters read the aggregator itself.
   */
  default DataStream<WindowSummary> windows(SingleOutputStreamOperator<WindowSummary> windows) {
    return windows;
  }

  /** Every command on its way to the decisions sink. */
  default DataStream<ControlCommand> commands(DataStream<ControlCommand> commands) {
    return commands;
  }
}
