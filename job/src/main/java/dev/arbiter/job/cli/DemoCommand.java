package dev.arbiter.job.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the demo lands. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "The whole pipeline on one machine.")
public final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new IllegalArgumentException("demo is not built yet");
  }
}
