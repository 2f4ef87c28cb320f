package dev.arbiter.job.cli;

import dev.arbiter.job.bench.EndToEndBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The end-to-end benchmark against the ceiling (see BENCHMARKS.md). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {
        "Pre-produce one topic of simulated turns for many experiments on an in-process Kafka broker, then read it side by side:",
        "C0 plain KafkaConsumers decoding (the ceiling), C1 a Flink pass-through job (exactly-once; C1-keyed: shuffled by unit, with a",
        "per-unit count in RocksDB), C2 Arbiter with RocksDB and exactly-once (C2-direct: without local pre-aggregation; C2-write-through: without recent units and windows on the heap), C3 with heap state, C4 at-least-once; prints events/s, events/s",
        "per core and per CPU-second, and the ratios. --state-growth adds checkpoint size and duration per experiment count;",
        "--latency-at adds decision latency (both delivery modes) at fractions of the capacity (C2's events/s or --capacity)."})
public final class BenchCommand implements Callable<Integer> {

  @Option(names = "--events", defaultValue = "2000000", description = "Events in the topic. Default: ${DEFAULT-VALUE}.")
  long events;

  @Option(names = "--experiments", defaultValue = "1000",
      description = "Experiments (each 2 variants x 3 segments: *, device=mobile, device=desktop). Default: ${DEFAULT-VALUE}.")
  int experiments;

  @Option(names = "--windows", defaultValue = "30", description = "60 s windows of event time the events span. Default: ${DEFAULT-VALUE}.")
  int windows;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the input topic. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--parallelism", defaultValue = "2",
      description = "Flink parallelism and C0 reader threads. Default: ${DEFAULT-VALUE}.")
  int parallelism;

  @Option(names = "--checkpoint-interval-ms", defaultValue = "10000", description = "Checkpoint interval of the Flink runs; the default is the job's own. Default: ${DEFAULT-VALUE}.")
  long checkpointIntervalMs;

  @Option(names = "--runs", split = ",", defaultValue = "C0,C1,C1-keyed,C2,C2-direct,C2-write-through,C3,C4",
      description = "Runs, in order (C0, C1, C1-keyed, C2, C2-direct, C2-write-through, C3, C4); empty for none. Default: ${DEFAULT-VALUE}.")
  List<String> runs;

  @Option(names = "--state-growth", split = ",", description = "Experiment counts of the state study, e.g. 10,1000,10000 (off by default).")
  List<Integer> stateGrowth = List.of();

  @Option(names = "--state-events", defaultValue = "300000", description = "Events per state-study run. Default: ${DEFAULT-VALUE}.")
  long stateEvents;

  @Option(names = "--seed", defaultValue = "2026", description = "Seed of the simulated traffic. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--latency-at", split = ",",
      description = "Fractions of the capacity to measure decision latency at, e.g. 0.5,0.9 (off by default).")
  List<String> latencyAt = List.of();

  @Option(names = "--capacity", defaultValue = "0",
      description = "Capacity in events/s for --latency-at; default: C2's events/s from the same invocation.")
  double capacity;

  @Option(names = "--latency-seconds", defaultValue = "60", description = "Seconds of traffic per latency run. Default: ${DEFAULT-VALUE}.")
  int latencySeconds;

  @Option(names = "--warm-up-events", defaultValue = "200000",
      description = "Events in a smaller topic that every run reads once first, unreported, so the first compilations of "
          + "its code are not counted against it; 0 for cold runs. Default: ${DEFAULT-VALUE}.")
  long warmUpEvents;

  @Option(names = "--rounds", defaultValue = "2",
      description = "Times every run reads the measured topic, in turn (C1, C2, ..., C1, C2, ...); only the last round is reported, "
          + "so that no run is measured while the JIT is still compiling code that a later run would find compiled. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (events < 1_000 || events > 1_000_000_000L) {
      throw new IllegalArgumentException("--events must be between 1000 and 1000000000, got " + events);
    }
    if (experiments < 1 || experiments > 100_000) {
      throw new IllegalArgumentException("--experiments must be between 1 and 100000, got " + experiments);
    }
    if (windows < 2 || windows > 10_000) {
      throw new IllegalArgumentException("--windows must be between 2 and 10000, got " + windows);
    }
    if (partitions < 1 || parallelism < 1 || parallelism > partitions) {
      throw new IllegalArgumentException("--parallelism must be between 1 and --partitions (" + partitions + "), got " + parallelism);
    }
    if (checkpointIntervalMs < 100) {
      throw new IllegalArgumentException("--checkpoint-interval-ms must be at least 100, got " + checkpointIntervalMs);
    }
    for (int count : stateGrowth) {
      if (count < 1 || count > 100_000) {
        throw new IllegalArgumentException("--state-growth counts must be between 1 and 100000, got " + count);
      }
    }
    List<String> chosen = runs.stream().map(String::strip).filter(r -> !r.isEmpty()).toList();
    for (String run : chosen) {
      if (!EndToEndBench.RUNS.contains(run)) {
        throw new IllegalArgumentException("--runs: unknown run '" + run + "'; runs are " + String.join(", ", EndToEndBench.RUNS));
      }
    }
    List<Double> fractions = new ArrayList<>();
    for (String fraction : latencyAt) {
      if (fraction.isBlank()) {
        continue;
      }
      double f;
      try {
        f = Double.parseDouble(fraction.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--latency-at: '" + fraction + "' is not a number");
      }
      if (!(f > 0 && f <= 2)) {
        throw new IllegalArgumentException("--latency-at fractions must be above 0 and at most 2, got " + fraction);
      }
      fractions.add(f);
    }
    if (!(capacity >= 0) || Double.isInfinite(capacity)) {
      throw new IllegalArgumentException("--capacity must be a finite number of events/s above 0, got " + capacity);
    }
    if (!fractions.isEmpty() && capacity == 0 && !chosen.contains("C2")) {
      throw new IllegalArgumentException("--latency-at needs --capacity N (events/s) or C2 in --runs to measure it");
    }
    if (warmUpEvents != 0 && (warmUpEvents < 1_000 || warmUpEvents > 1_000_000_000L)) {
      throw new IllegalArgumentException("--warm-up-events must be 0 or between 1000 and 1000000000, got " + warmUpEvents);
    }
    if (rounds < 1 || rounds > 10) {
      throw new IllegalArgumentException("--rounds must be between 1 and 10, got " + rounds);
    }
    if (latencySeconds < 20 || latencySeconds > 3600) {
      throw new IllegalArgumentException("--latency-seconds must be between 20 and 3600, got " + latencySeconds);
    }
    return new EndToEndBench(new EndToEndBench.Settings(events, experiments, windows, partitions, parallelism,
        checkpointIntervalMs, chosen, stateGrowth, stateEvents, seed, fractions, capacity, latencySeconds, warmUpEvents, rounds), spec.commandLine().getOut()).run();
  }
}
