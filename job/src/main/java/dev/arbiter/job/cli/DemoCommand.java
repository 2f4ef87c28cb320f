package dev.arbiter.job.cli;

import dev.arbiter.job.local.Demo;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The whole pipeline on this machine with nothing to set up. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "Start a real Kafka broker (KRaft) in this process, register the support-bot experiment, run the job on a local Flink",
        "cluster, feed it simulated traffic in which the treatment's p95 latency rises above 3 s for several windows, and show",
        "windows and decisions live. Event time runs faster than the clock (--speedup), so a 60 s window passes in 2 s."})
public final class DemoCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--duration", defaultValue = "75s", converter = DurationConverter.class,
      description = "How long to feed traffic (e.g. 75s, 2m). Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(names = "--rate", defaultValue = "300", description = "Events per second of wall-clock time. Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(names = "--speedup", defaultValue = "30", description = "Seconds of event time per second of wall-clock time. Default: ${DEFAULT-VALUE}.")
  int speedup;

  @Option(names = "--seed", defaultValue = "2026", description = "Seed of the simulated traffic. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (duration.toSeconds() < 20 || duration.toHours() > 24) {
      throw new IllegalArgumentException("--duration must be between 20s and 24h, got " + duration.toSeconds() + "s");
    }
    if (rate < 50 || rate > 200_000) {
      throw new IllegalArgumentException("--rate must be between 50 and 200000 events per second, got " + rate);
    }
    if (speedup < 1 || speedup > 600) {
      throw new IllegalArgumentException("--speedup must be between 1 and 600, got " + speedup);
    }
    return new Demo(duration, rate, speedup, seed, spec.commandLine().getOut()).run();
  }

  /** Reads 90s, 2m, 1h or plain seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase();
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        return Duration.ofSeconds(Long.parseLong(v));
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 90s, 2m or 1h");
      }
    }
  }
}
