package dev.arbiter.job.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What the broker and the Flink processes share: the java binary, a log4j file, start and stop. */
final class ChildProcesses {
  private ChildProcesses() {}

  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A log4j2 configuration that writes WARN and above to the console (the child's output file). */
  static Path quietLog4j(Path dir) {
    return log4j(dir, "log4j2-console.properties", """
        rootLogger.level = WARN
        rootLogger.appenderRef.console.ref = console
        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
        """);
  }

  static Path log4j(Path dir, String name, String content) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(name);
      Files.writeString(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the child's output file holds {@code marker}; fails early if the child exits. */
  static void awaitLine(Process process, Path output, String marker, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!KafkaProcess.read(output).contains(marker)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(what + " exited with " + process.exitValue() + " before it was ready; output:\n" + tail(output));
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException(what + " not ready within " + timeout.toSeconds() + " s; output:\n" + tail(output));
      }
      pause(Duration.ofMillis(100));
    }
  }

  /** SIGTERM, then SIGKILL if the process is still alive after {@code grace}. */
  static void terminate(ProcessHandle process, Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      process.onExit().join();
    }
  }

  static String tail(Path output) {
    String text = KafkaProcess.read(output);
    return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
  }

  /** The poll interval of a wait for a condition with a deadline; never a stand-in for one. */
  static void pause(Duration interval) {
    try {
      Thread.sleep(interval.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
