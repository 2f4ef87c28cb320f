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
 *
 * <p>{@link #startSecured} gives it a SASL_PLAINTEXT listener (SCRAM-SHA-512 and -256) with ACLs
 * enforced by the StandardAuthorizer; an admin user, a super user, is created when the storage is
 * formatted and may then create further SCRAM users and ACLs through {@link #admin()}.
 */
public final class EmbeddedKafka implements AutoCloseable {
  /** SCRAM mechanism of the admin user and of the broker's own connections to itself. */
  public static final String SCRAM = "SCRAM-SHA-512";
  private static final String LISTENER = "SASL_PLAINTEXT";

  private final Path logDir;
  private final int port;
  private final boolean ownsLogDir;
  private final Map<String, String> extraProperties;
  /** The super user of a secured broker; null for a PLAINTEXT broker. */
  private final String adminUser;
  private final String adminPassword;
  private KafkaRaftServer server;

  private EmbeddedKafka(Path logDir, int port, boolean ownsLogDir, Map<String, String> extraProperties,
      String adminUser, String adminPassword) {
    this.logDir = logDir;
    this.port = port;
    this.ownsLogDir = ownsLogDir;
    this.extraProperties = extraProperties;
    this.adminUser = adminUser;
    this.adminPassword = adminPassword;
  }

  /**
   * Starts a broker on the given ports over a log directory that outlives it: formatted on first
   * use and reused after, so a broker process can be stopped and started again on the same data.
   */
  public static EmbeddedKafka startAt(Path logDir, int port, int controllerPort) {
    try {
      Files.createDirectories(logDir);
      EmbeddedKafka kafka = new EmbeddedKafka(logDir, port, false, Map.of(), null, null);
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
    return start(extraProperties, null, null);
  }

  /**
   * Starts a broker that authenticates every client with SCRAM and authorizes it with ACLs; only
   * {@code adminUser} (a super user) exists at first. The password must not contain {@code "},
   * {@code \}, {@code ,} or {@code ]}, which the storage tool's credential syntax cannot carry.
   */
  public static EmbeddedKafka startSecured(String adminUser, String adminPassword) {
    if (!adminPassword.matches("[A-Za-z0-9._~-]+") || !adminUser.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("admin user and password must be letters, digits and . _ ~ -");
    }
    return start(Map.of(), adminUser, adminPassword);
  }

  private static EmbeddedKafka start(Map<String, String> extraProperties, String adminUser, String adminPassword) {
    try {
      EmbeddedKafka kafka = new EmbeddedKafka(Files.createTempDirectory("arbiter-kafka"), freePort(), true, extraProperties,
          adminUser, adminPassword);
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

  /** An admin client; on a secured broker it authenticates as the admin user. */
  public Admin admin() {
    Properties props = clientProperties(adminUser, adminPassword);
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return Admin.create(props);
  }

  public boolean secured() {
    return adminUser != null;
  }

  /**
   * The security properties a client of this broker needs to authenticate as {@code user} with
   * SCRAM-SHA-512; empty for a PLAINTEXT broker.
   */
  public Properties clientProperties(String user, String password) {
    Properties props = new Properties();
    if (secured()) {
      props.put("security.protocol", LISTENER);
      props.put("sasl.mechanism", SCRAM);
      props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
          + user + "\" password=\"" + password + "\";");
    }
    return props;
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
    if (secured()) {
      secure(props);
    }
    props.putAll(extraProperties);
    return props;
  }

  /**
   * Clients and the broker's own inter-broker traffic use SCRAM on the SASL_PLAINTEXT listener;
   * the controller listener uses PLAIN with the admin as its only user, because SCRAM credentials
   * live in the metadata log that the controller serves and cannot authenticate the controller itself.
   */
  private void secure(Properties props) {
    String lower = LISTENER.toLowerCase(java.util.Locale.ROOT);
    props.put("listeners", LISTENER + "://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", LISTENER + "://localhost:" + port);
    props.put("inter.broker.listener.name", LISTENER);
    props.put("listener.security.protocol.map", LISTENER + ":SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
    props.put("listener.name." + lower + ".sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256");
    props.put("sasl.mechanism.inter.broker.protocol", SCRAM);
    props.put("listener.name." + lower + ".scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + adminUser
            + "\" password=\"" + adminPassword + "\";");
    props.put("listener.name." + lower + ".scram-sha-256.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    props.put("sasl.mechanism.controller.protocol", "PLAIN");
    props.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    props.put("listener.name.controller.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + adminUser
            + "\" password=\"" + adminPassword + "\" user_" + adminUser + "=\"" + adminPassword + "\";");
    props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    props.put("super.users", "User:" + adminUser);
    props.put("allow.everyone.if.no.acl.found", "false");
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
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
        "format", "-t", Uuid.randomUuid().toString(), "-c", config.toString()));
    if (secured()) {
      // The admin must exist before the broker starts: it authenticates to itself as the admin.
      args.addAll(java.util.List.of("--add-scram", SCRAM + "=[name=" + adminUser + ",password=" + adminPassword + "]"));
    }
    int exit = StorageTool.execute(args.toArray(String[]::new), new PrintStream(output, true, StandardCharsets.UTF_8));
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
