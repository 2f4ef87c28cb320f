package dev.arbiter.job.cli;

import dev.arbiter.job.Backtest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the job graph over recorded events, to calibrate a policy before it may act. */
@Command(name = "backtest", mixinStandardHelpOptions = true,
    description = "Run the same job graph on a bounded JSON Lines input and write the decisions it would have taken.")
public final class BacktestCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--definitions", required = true, paramLabel = "FILE_OR_DIR",
      description = "A JSON or YAML definition (one object or a list), or a directory of them.")
  Path definitions;

  @Option(names = "--events", required = true, paramLabel = "FILE",
      description = "JSON Lines events ({\"type\":\"turn\"|\"outcome\"|\"judge\",...}); gzipped when it ends in .gz.")
  Path events;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "Decisions as JSON Lines, one ControlCommand per line, in event-time order.")
  Path out;

  @Option(names = "--dead-letters", paramLabel = "FILE",
      description = "Rejected lines as JSON Lines with reason and raw line. Default: beside --out, *.dead-letters.jsonl.")
  Path deadLetters;

  @Option(names = "--metrics", paramLabel = "FILE", description = "Also write every WindowSummary as JSON Lines.")
  Path metrics;

  @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism. Default: ${DEFAULT-VALUE}.")
  int parallelism;

  @Option(names = "--out-of-orderness-ms", defaultValue = "5000",
      description = "How far behind the newest event time an event may arrive. Default: ${DEFAULT-VALUE}.")
  long outOfOrdernessMs;

  @Override
  public Integer call() throws Exception {
    if (parallelism < 1) {
      throw new IllegalArgumentException("--parallelism must be 1 or more, got " + parallelism);
    }
    if (!java.nio.file.Files.isRegularFile(events)) {
      throw new IllegalArgumentException("--events file " + events + " does not exist");
    }
    Path deadLetterFile = deadLetters != null ? deadLetters : Backtest.defaultDeadLetters(out);
    Backtest.Result result = new Backtest(definitions, events, out, deadLetterFile, metrics, parallelism, outOfOrdernessMs).run();
    spec.commandLine().getErr().println(result.summary());
    spec.commandLine().getErr().flush();
    return 0;
  }
}
