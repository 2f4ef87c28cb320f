package dev.arbiter.job.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time by thread during a run, read from Linux's {@code /proc/self/task}: every thread of the
 * process, the JIT compilers and RocksDB's native ones included. Process CPU time says how much a
 * run cost; this says where, and it is far steadier than wall-clock time on a shared machine. A
 * Flink task thread is named after its operator chain (the kernel keeps the first 15 characters),
 * so the threads are grouped by those names.
 *
 * <p>Threads end with their job, so a sampler thread reads every thread's counters every 200 ms
 * and keeps each thread's last reading; a thread loses at most its last 200 ms.
 */
final class ThreadCpu implements AutoCloseable {
  private static final Path TASKS = Path.of("/proc/self/task");
  private static final long TICKS_PER_SECOND = 100;

  /** Kernel thread-name prefixes and the group each belongs to, first match wins. */
  private static final List<String[]> GROUPS = List.of(
      new String[] {"units: leaks", "unit tracker -> combine"},
      new String[] {"windows per ex", "window aggregator -> metrics sink"},
      new String[] {"decode, valida", "router"},
      new String[] {"guardrail eval", "guardrail evaluator -> sinks"},
      new String[] {"hold turns of", "unregistered-experiment hold"},
      new String[] {"count per unit", "per-unit count -> sink (C1-keyed)"},
      new String[] {"Source: events", "source (C1: the whole job)"},
      new String[] {"Source Data Fe", "source fetcher"},
      new String[] {"Source: regist", "registry"},
      new String[] {"C2 CompilerThr", "JIT compilers"},
      new String[] {"C1 CompilerThr", "JIT compilers"},
      new String[] {"GC Thread", "GC"},
      new String[] {"G1 ", "GC"},
      new String[] {"rocksdb:", "RocksDB flush and compaction"},
      new String[] {"AsyncOperation", "async checkpoint parts"},
      new String[] {"kafka-producer", "Kafka producer I/O"},
      new String[] {"data-plane-kaf", "broker"},
      new String[] {"kafka-", "broker"});

  private final Map<String, long[]> ticksByThread = new HashMap<>();
  private final Map<String, long[]> startTicks;
  private final Thread sampler;
  private volatile boolean running = true;

  private ThreadCpu() {
    startTicks = read();
    sampler = new Thread(this::sample, "bench-thread-cpu");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Starts sampling, or returns null where there is no {@code /proc}. */
  static ThreadCpu startIfAvailable() {
    return Files.isDirectory(TASKS) ? new ThreadCpu() : null;
  }

  private void sample() {
    while (running) {
      Map<String, long[]> now = read();
      synchronized (ticksByThread) {
        ticksByThread.putAll(now);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Thread id and name to {utime + stime} in clock ticks. */
  private static Map<String, long[]> read() {
    Map<String, long[]> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(TASKS)) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          // The name is in parentheses and may contain spaces; the fields after it are fixed.
          int close = stat.lastIndexOf(')');
          String name = stat.substring(stat.indexOf('(') + 1, close);
          String[] fields = stat.substring(close + 2).split(" ");
          long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
          out.put(task.getFileName() + " " + name, new long[] {ticks});
        } catch (IOException | RuntimeException gone) {
          // The thread ended between the listing and the read.
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** Stops sampling; CPU seconds per group during the run, largest first. */
  Map<String, Double> stop() {
    running = false;
    sampler.interrupt();
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, long[]> last;
    synchronized (ticksByThread) {
      ticksByThread.putAll(read());
      last = new HashMap<>(ticksByThread);
    }
    Map<String, Double> seconds = new HashMap<>();
    last.forEach((thread, ticks) -> {
      long before = startTicks.getOrDefault(thread, new long[] {0})[0];
      if (ticks[0] > before) {
        seconds.merge(group(thread.substring(thread.indexOf(' ') + 1)), (ticks[0] - before) / (double) TICKS_PER_SECOND, Double::sum);
      }
    });
    Map<String, Double> sorted = new LinkedHashMap<>();
    seconds.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(entry -> sorted.put(entry.getKey(), entry.getValue()));
    return sorted;
  }

  @Override
  public void close() {
    running = false;
    sampler.interrupt();
  }

  static String group(String threadName) {
    for (String[] group : GROUPS) {
      if (threadName.startsWith(group[0])) {
        return group[1];
      }
    }
    return "other";
  }
}
