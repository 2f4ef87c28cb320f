package dev.arbiter.job.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code arbiter} command line. User errors exit non-zero with one line, never a stack trace. */
@Command(
    name = "arbiter",
    mixinStandardHelpOptions = true,
    version = "arbiter 0.1.0",
    description = "Real-time guardrails and sequential decisions for A/B tests of LLM features, on Apache Flink.",
    subcommands = {DemoCommand.class, RunCommand.class, BacktestCommand.class, PlanCommand.class, RegisterCommand.class,
        SimulateCommand.class, DecisionsCommand.class, ClusterCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class ArbiterCli implements Runnable {

  /** Exit code of a user error: a bad argument or input that the message explains. */
  public static final int USER_ERROR = 2;
  /** Exit code of a failure that is not the user's (a broker down, a job failing). */
  public static final int FAILURE = 1;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "name a command: demo, run, backtest, plan, register, simulate, decisions, cluster, bench (see arbiter --help)");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new ArbiterCli());
    ConfigFlags.addTo(cli.getSubcommands().get("run").getCommandSpec());
    ConfigFlags.addSecurityTo(cli.getSubcommands().get("register").getCommandSpec());
    ConfigFlags.addSecurityTo(cli.getSubcommands().get("decisions").getCommandSpec());
    cli.setParameterExceptionHandler((ex, arguments) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage());
      err.flush();
      return USER_ERROR;
    });
    cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      if (ex instanceof IllegalArgumentException) {
        err.println(commandLine.getCommandName() + ": " + ex.getMessage());
        err.flush();
        return USER_ERROR;
      }
      err.println(commandLine.getCommandName() + " failed: " + rootMessage(ex));
      err.flush();
      return FAILURE;
    });
    return cli;
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
  }
}
