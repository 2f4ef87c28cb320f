package dev.arbiter.job.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in this JVM, from the
 * Maven Central artifacts: for the demo and the integration tests. Never in the cluster jar.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final Path logDir;
  private final int port;
  private final boolean ownsLogDir;
  private final Map<String, String> extraProperties;
  private KafkaRaftServer server;

  private EmbeddedKafka(Path logDir, int port, boolean ownsLogDir, Map<String, String> extraProperties) {
    this.logDir = logDir;
    this.port = port;
    this.ownsLogDir = ownsLogDir;
    this.extraProperties = extraProperties;
  }

  /**
   * Starts a broker on the given ports over a log directory that outlives it: formatted on first
   * use and reused after, so a broker process can be stopped and started again on the same data.
   */
  public static EmbeddedKafka startAt(Path logDir, int port, int controllerPort) {
    try {
      Files.createDirectories(logDir);
      EmbeddedKafka kafka = new EmbeddedKafka(logDir, port, false, Map.of());
      kafka.controllerPort = controllerPort;
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        kafka.format();
      }
      kafka.startServer();
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a broker on a free port with a fresh log directory that {@link #close()} deletes. */
  public static EmbeddedKafka start() {
    return start(Map.of());
  }

  public static EmbeddedKafka start(Map<String, String> extraProperties) {
    try {
      EmbeddedKafka kafka = new EmbeddedKafka(Files.createTempDirectory("arbiter-kafka"), freePort(), true, extraProperties);
      kafka.format();
      kafka.startServer();
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return "localhost:" + port;
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /** Stops the broker and starts it again on the same port and data: a broker restart. */
  public void restart() {
    stopServer();
    startServer();
  }

  private Properties properties(int controllerPort) {
    Properties props = new Properties();
    props.put("node.id", "1");
    props.put("process.roles", "broker,controller");
    props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    props.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logDir.toAbsolutePath().toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "2");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "2");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("num.partitions", "2");
    props.put("auto.create.topics.enable", "false");
    props.put("log.flush.interval.messages", "1000000");
    props.putAll(extraProperties);
    return props;
  }

  private int controllerPort;

  private void format() throws IOException {
    if (controllerPort == 0) {
      controllerPort = freePort();
    }
    Path config = logDir.resolve("server.properties");
    try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      properties(controllerPort).store(writer, "arbiter embedded kafka");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", config.toString()},
        new PrintStream(output, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      throw new IllegalStateException("kafka storage format failed: " + output.toString(StandardCharsets.UTF_8));
    }
  }

  private void startServer() {
    server = new KafkaRaftServer(new KafkaConfig(properties(controllerPort), false), Time.SYSTEM);
    server.startup();
    awaitReady();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try (Admin admin = admin()) {
        admin.describeCluster().nodes().get(5, java.util.concurrent.TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        last = new IllegalStateException("broker not ready: " + e.getMessage(), e);
      }
    }
    throw last != null ? last : new IllegalStateException("broker not ready within 60 s");
  }

  private void stopServer() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  @Override
  public void close() {
    stopServer();
    if (ownsLogDir) {
      try (Stream<Path> files = Files.walk(logDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // A temp directory left behind is harmless.
      }
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
