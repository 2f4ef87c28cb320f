package dev.arbiter.job.cli;

import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The job against an existing Kafka: the same entry point that {@code flink run} uses. Started
 * outside a cluster it runs on a local Flink mini-cluster.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the Arbiter job against an existing Kafka cluster (the flink run entry point).")
public final class RunCommand implements Callable<Integer> {
  // The ArbiterConfig settings are added as flags by ArbiterCli.commandLine().

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--job-name", defaultValue = "arbiter", description = "Flink job name. Default: ${DEFAULT-VALUE}.")
  String jobName;

  @Override
  public Integer call() throws Exception {
    ArbiterConfig config = ConfigFlags.read(spec);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config));
    env.execute(jobName);
    return 0;
  }
}
