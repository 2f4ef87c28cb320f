package dev.arbiter.job.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node KRaft broker in its own JVM process, so that a test or {@code arbiter cluster}
 * can stop and restart it like a real broker. The child runs {@link #main} over a data directory
 * that survives restarts, on ports fixed at the first start.
 */
public final class KafkaProcess implements AutoCloseable {
  /** The line the child prints once the broker answers. */
  static final String READY = "arbiter-kafka ready ";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path dataDir;
  private final String classpath;
  private final int port;
  private final int controllerPort;
  private Process process;

  private KafkaProcess(Path dataDir, String classpath, int port, int controllerPort) {
    this.dataDir = dataDir;
    this.classpath = classpath;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /**
   * Starts a broker process on free ports with its log directory and output under {@code dataDir}.
   *
   * @param classpath a classpath holding this class, kafka_2.13 and a log4j binding
   */
  public static KafkaProcess start(Path dataDir, String classpath) {
    try {
      Files.createDirectories(dataDir);
      KafkaProcess kafka = new KafkaProcess(dataDir, classpath, EmbeddedKafka.freePort(), EmbeddedKafka.freePort());
      kafka.launch();
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return "localhost:" + port;
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return dataDir.resolve("kafka.out");
  }

  /** Stops the broker process (SIGTERM, a clean shutdown) and starts a new one on the same ports and data. */
  public void restart() {
    stop();
    launch();
  }

  /** Stops the broker process cleanly, or forcibly if it does not exit within 60 s. */
  public void stop() {
    if (process != null) {
      ChildProcesses.terminate(process.toHandle(), Duration.ofSeconds(60));
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void launch() {
    List<String> command = List.of(ChildProcesses.javaExecutable(), "-Xmx512m", "-XX:+UseSerialGC",
        "-Dlog4j2.configurationFile=" + ChildProcesses.quietLog4j(dataDir).toUri(),
        "-cp", classpath, KafkaProcess.class.getName(),
        dataDir.resolve("log").toString(), Integer.toString(port), Integer.toString(controllerPort));
    try {
      Files.deleteIfExists(logFile());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChildProcesses.awaitLine(process, logFile(), READY, START_TIMEOUT, "kafka broker");
  }

  /** The child: {@code <log-dir> <port> <controller-port>}; runs until the process is stopped. */
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: KafkaProcess <log-dir> <port> <controller-port>");
      System.exit(2);
    }
    EmbeddedKafka kafka = EmbeddedKafka.startAt(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      kafka.close();
      stopped.countDown();
    }, "kafka-shutdown"));
    System.out.println(READY + kafka.bootstrapServers());
    System.out.flush();
    // The main thread has nothing left to do; the broker's own threads keep the process alive.
    stopped.await(Long.MAX_VALUE, TimeUnit.DAYS);
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
