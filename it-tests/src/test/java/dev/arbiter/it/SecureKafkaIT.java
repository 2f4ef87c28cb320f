package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.cli.ArbiterCli;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a locked-down broker: SCRAM users and ACLs enforced by the StandardAuthorizer.
 * The job's principal {@code arbiter} may read the inputs and the registry and write the outputs,
 * with its password in a file; {@code intruder} may read the decisions topic but not write it.
 * One scenario (a latency regression) runs once; the tests then check what came out, who could
 * write, what a read_committed consumer sees, and that neither the job's password nor any end
 * user's id left the job.
 */
class SecureKafkaIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final String ADMIN = "admin";
  private static final String ADMIN_PASSWORD = "admin-" + UUID.randomUUID();
  private static final String JOB_USER = "arbiter";
  /** Distinctive, so that any trace of it in a log or a REST answer is found. */
  private static final String JOB_PASSWORD = "job-pw-" + UUID.randomUUID().toString().replace("-", "");
  private static final String INTRUDER = "intruder";
  private static final String INTRUDER_PASSWORD = "intruder-" + UUID.randomUUID();
  /** Every end user's id in the input ends with this, so one search finds any of them. */
  private static final String USER_DOMAIN = "@shop.example";

  static EmbeddedKafka kafka;
  static ArbiterConfig config;
  static SupportBotTraffic clock;
  static JobID jobId;
  static Path jobPasswordFile;
  static Path intruderPasswordFile;
  static LogCapture log;
  static int rejectedTurnsWithUserId;

  @TempDir
  static Path dir;

  @BeforeAll
  static void runTheJobAgainstALockedDownBroker() throws Exception {
    log = LogCapture.start(Path.of("target", "SecureKafkaIT.log"));
    kafka = EmbeddedKafka.startSecured(ADMIN, ADMIN_PASSWORD);
    jobPasswordFile = Files.writeString(dir.resolve("arbiter.password"), JOB_PASSWORD + "\n");
    intruderPasswordFile = Files.writeString(dir.resolve("intruder.password"), INTRUDER_PASSWORD + "\n");
    config = KafkaFixture.jobConfig(kafka, dir.resolve("checkpoints"))
        .with(ArbiterConfig.SECURITY_PROTOCOL, "SASL_PLAINTEXT")
        .with(ArbiterConfig.SASL_MECHANISM, "SCRAM-SHA-512")
        .with(ArbiterConfig.SASL_USERNAME, JOB_USER)
        .with(ArbiterConfig.SASL_PASSWORD_FILE, jobPasswordFile)
        // A partition slow to start under load must not be taken for idle: its turns would be late.
        .with(ArbiterConfig.IDLENESS_MS, 600_000)
        .validated();
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
      admin.alterUserScramCredentials(List.of(
          new UserScramCredentialUpsertion(JOB_USER, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), JOB_PASSWORD),
          new UserScramCredentialUpsertion(INTRUDER, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), INTRUDER_PASSWORD)))
          .all().get(30, TimeUnit.SECONDS);
      admin.createAcls(acls()).all().get(30, TimeUnit.SECONDS);
    }
    awaitCredentialsAndAcls();

    long start = System.currentTimeMillis() - 30 * 60_000;
    ExperimentDefinition definition = RunningExample.definition(start);
    register(definition);
    feed(definition);

    // Submitted through the MiniCluster's REST endpoint, whose answers about the job are checked below.
    org.apache.flink.configuration.Configuration client = FLINK.getClientConfiguration();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(
        client.get(RestOptions.ADDRESS), client.get(RestOptions.PORT), ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true));
    jobId = env.execute("arbiter-secure-it").getJobID();
  }

  /** The job may read its inputs, registry and group and write its outputs; the intruder may only watch decisions. */
  private static List<AclBinding> acls() {
    String job = "User:" + JOB_USER;
    List<AclBinding> acls = new ArrayList<>();
    for (String input : config.inputTopics()) {
      acls.add(allow(ResourceType.TOPIC, input, PatternType.LITERAL, job, AclOperation.READ));
    }
    acls.add(allow(ResourceType.TOPIC, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), PatternType.LITERAL, job, AclOperation.READ));
    for (ArbiterConfig.Setting output : List.of(ArbiterConfig.TOPIC_DECISIONS, ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DEAD_LETTERS)) {
      acls.add(allow(ResourceType.TOPIC, config.get(output), PatternType.LITERAL, job, AclOperation.WRITE));
    }
    acls.add(allow(ResourceType.GROUP, config.get(ArbiterConfig.GROUP_ID), PatternType.LITERAL, job, AclOperation.READ));
    acls.add(allow(ResourceType.TRANSACTIONAL_ID, config.get(ArbiterConfig.TRANSACTIONAL_ID_PREFIX) + "-", PatternType.PREFIXED,
        job, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, config.get(ArbiterConfig.TOPIC_DECISIONS), PatternType.LITERAL, "User:" + INTRUDER,
        AclOperation.READ));
    return acls;
  }

  private static AclBinding allow(ResourceType type, String name, PatternType pattern, String principal, AclOperation operation) {
    return new AclBinding(new ResourcePattern(type, name, pattern),
        new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
  }

  /** SCRAM credentials and ACLs reach the broker through the metadata log: wait until the job's principal sees its topics. */
  private static void awaitCredentialsAndAcls() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String turns = config.get(ArbiterConfig.TOPIC_TURNS);
    while (true) {
      try (KafkaConsumer<byte[], byte[]> consumer = consumer(JOB_USER, JOB_PASSWORD, "read_committed")) {
        if (!consumer.partitionsFor(turns, Duration.ofSeconds(5)).isEmpty()) {
          return;
        }
      } catch (RuntimeException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the job's principal never saw " + turns);
      }
      Thread.sleep(200);
    }
  }

  /** Registers the running example through the CLI, which authenticates as the admin with a password file. */
  private static void register(ExperimentDefinition definition) throws Exception {
    Path file = Files.writeString(dir.resolve("definition.json"), JsonForm.toJson(definition).toString());
    Path adminPassword = Files.writeString(dir.resolve("admin.password"), ADMIN_PASSWORD);
    StringWriter out = new StringWriter();
    int exit = ArbiterCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out))
        .execute("register", "--bootstrap-servers", kafka.bootstrapServers(), "--kafka.security.protocol", "SASL_PLAINTEXT",
            "--kafka.sasl.username", ADMIN, "--kafka.sasl.password-file", adminPassword.toString(), file.toString());
    assertThat(exit).as("register: %s", out).isZero();
    assertThat(out.toString()).contains("registered: " + RunningExample.EXPERIMENT_ID);
  }

  /**
   * Serving logs written as the admin: the running example with a latency regression, every turn
   * naming its end user, plus turns the job must refuse (an impossible latency, a variant the
   * experiment does not have, a duplicate), which still carry their user id.
   */
  private static void feed(ExperimentDefinition definition) throws Exception {
    SupportBotTraffic traffic = new SupportBotTraffic(definition, 7, 9, window -> 120,
        List.of(new Effect.LatencySpike("treatment", 4, 7, 2.0, null)));
    clock = new SupportBotTraffic(definition, 0, 0, w -> 0, List.of());
    String turns = config.get(ArbiterConfig.TOPIC_TURNS);
    Map<String, String> userOfUnit = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = producer(ADMIN, ADMIN_PASSWORD, null)) {
      int sent = 0;
      while (traffic.hasNext()) {
        SpecificRecord event = traffic.next();
        if (event instanceof TurnEvent turn) {
          String user = userOfUnit.computeIfAbsent(turn.getUnitId(), unit -> "customer-" + userOfUnit.size() + USER_DOMAIN);
          TurnEvent named = TurnEvent.newBuilder(turn).setUserId(user).build();
          producer.send(new ProducerRecord<>(turns, turn.getUnitId().getBytes(), WireFormat.encode(named)));
          if (++sent % 200 == 0) {
            producer.send(new ProducerRecord<>(turns, WireFormat.encode(TurnEvent.newBuilder(named)
                .setRequestId(turn.getRequestId() + "-negative").setLatencyMs(-1).build())));
            producer.send(new ProducerRecord<>(turns, WireFormat.encode(TurnEvent.newBuilder(named)
                .setRequestId(turn.getRequestId() + "-ghost").setVariantId("ghost").build())));
            producer.send(new ProducerRecord<>(turns, turn.getUnitId().getBytes(), WireFormat.encode(named)));
            rejectedTurnsWithUserId += 3;
          }
        } else {
          producer.send(new ProducerRecord<>(turns, WireFormat.encode(event)));
        }
      }
      producer.flush();
    }
  }

  @AfterAll
  static void stop() {
    if (log != null) {
      log.stop();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void jobWithScramCredentialsFromAFileDecidesAsOnAnOpenBroker() {
    List<ControlCommand> commands = KafkaFixture.decodeAll(readAll(ADMIN, ADMIN_PASSWORD, config.get(ArbiterConfig.TOPIC_DECISIONS), "read_committed"));
    assertThat(commands)
        .extracting(ControlCommand::getAction, ControlCommand::getWindowStart, ControlCommand::getSegment, ControlCommand::getRuleId)
        .containsExactly(
            tuple("ALERT", clock.windowStart(4), "*", "latency"),
            tuple("PAUSE_EXPOSURE", clock.windowStart(5), "*", "latency"));
  }

  @Test
  void controlPlaneWithReadAclFollowsDecisionsThroughTheCli() {
    StringWriter out = new StringWriter();
    int exit = ArbiterCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out))
        .execute("decisions", "--bootstrap-servers", kafka.bootstrapServers(), "--kafka.security.protocol", "SASL_PLAINTEXT",
            "--kafka.sasl.username", INTRUDER, "--kafka.sasl.password-file", intruderPasswordFile.toString());
    assertThat(exit).as("decisions: %s", out).isZero();
    assertThat(out.toString().lines().toList()).hasSize(2)
        .anySatisfy(line -> assertThat(line).startsWith("PAUSE_EXPOSURE").contains(RunningExample.EXPERIMENT_ID));
  }

  @Test
  void principalWithoutWriteAclCannotForgeACommand() throws Exception {
    ControlCommand forged = forgedCommand("forged-by-intruder");
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(config.get(ArbiterConfig.TOPIC_DECISIONS),
        forged.getExperimentId().getBytes(), WireFormat.encode(forged));
    try (KafkaProducer<byte[], byte[]> plain = producer(INTRUDER, INTRUDER_PASSWORD, null, false)) {
      assertThatThrownBy(() -> plain.send(record).get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining(config.get(ArbiterConfig.TOPIC_DECISIONS));
    }
    // An idempotent producer (Kafka's default) is refused even earlier: it may write no topic, so it gets no producer id.
    try (KafkaProducer<byte[], byte[]> idempotent = producer(INTRUDER, INTRUDER_PASSWORD, null, true)) {
      assertThatThrownBy(() -> idempotent.send(record).get(30, TimeUnit.SECONDS))
          .satisfies(failure -> assertThat(causes(failure)).hasAtLeastOneElementOfType(AuthorizationException.class));
    }
    List<ControlCommand> seen = KafkaFixture.decodeAll(readAll(ADMIN, ADMIN_PASSWORD, config.get(ArbiterConfig.TOPIC_DECISIONS), "read_uncommitted"));
    assertThat(seen).extracting(ControlCommand::getCommandId).doesNotContain("forged-by-intruder");
  }

  @Test
  void readCommittedConsumerSeesOnlyCommittedCommands() throws Exception {
    String decisions = config.get(ArbiterConfig.TOPIC_DECISIONS);
    ControlCommand aborted = forgedCommand("aborted-by-test");
    // An authorised writer (the job's own principal and transactional-id prefix) whose transaction is aborted.
    try (KafkaProducer<byte[], byte[]> producer = producer(JOB_USER, JOB_PASSWORD,
        config.get(ArbiterConfig.TRANSACTIONAL_ID_PREFIX) + "-test-aborted")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(decisions, aborted.getExperimentId().getBytes(), WireFormat.encode(aborted))).get(30, TimeUnit.SECONDS);
      producer.abortTransaction();
    }
    List<ControlCommand> uncommitted = KafkaFixture.decodeAll(readAll(ADMIN, ADMIN_PASSWORD, decisions, "read_uncommitted"));
    assertThat(uncommitted).extracting(ControlCommand::getCommandId).as("the aborted command is in the log").contains("aborted-by-test");
    List<ControlCommand> committed = KafkaFixture.decodeAll(readAll(ADMIN, ADMIN_PASSWORD, decisions, "read_committed"));
    assertThat(committed).extracting(ControlCommand::getCommandId).doesNotContain("aborted-by-test").doesNotHaveDuplicates();
    assertThat(committed).extracting(ControlCommand::getAction).containsExactly("ALERT", "PAUSE_EXPOSURE");
  }

  @Test
  void passwordIsNotInWhatFlinkShowsOfTheJob() throws Exception {
    org.apache.flink.configuration.Configuration client = FLINK.getClientConfiguration();
    String base = "http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT);
    HttpClient http = HttpClient.newHttpClient();
    String jobConfig = get(http, base + "/jobs/" + jobId + "/config");
    // The job's options are shown, so a secret among them would be seen here (Flink masks the
    // value of any key naming a password, the file's path included; a secret under another key it would not).
    assertThat(jobConfig).contains("\"kafka.sasl.username\":\"" + JOB_USER + "\"").contains("kafka.sasl.password-file");
    for (String path : List.of("/jobs/" + jobId + "/config", "/jobs/" + jobId, "/jobs/" + jobId + "/jobmanager/config",
        "/jobmanager/config", "/jobs/" + jobId + "/exceptions")) {
      assertThat(get(http, base + path)).as(path).doesNotContain(JOB_PASSWORD);
    }
  }

  @Test
  void passwordIsNotInTheLog() throws Exception {
    String captured = log.text();
    // Kafka clients log their whole configuration at INFO: the job's sink producers were captured.
    assertThat(captured).contains("sasl.jaas.config = [hidden]").contains("sasl.mechanism = SCRAM-SHA-512")
        .contains("transactional.id = " + config.get(ArbiterConfig.TRANSACTIONAL_ID_PREFIX) + "-decisions-");
    assertThat(captured).contains("arbiter-secure-it");
    assertThat(captured).doesNotContain(JOB_PASSWORD);
  }

  @Test
  void noEndUserIdLeavesTheJobInClear() {
    assertThat(rejectedTurnsWithUserId).isGreaterThan(0);
    List<ConsumerRecord<byte[], byte[]>> input = readAll(ADMIN, ADMIN_PASSWORD, config.get(ArbiterConfig.TOPIC_TURNS), "read_committed");
    assertThat(input).as("the input names its users").anyMatch(r -> mentionsAUser(r));

    List<DeadLetter> deadLetters = new ArrayList<>();
    for (ArbiterConfig.Setting output : List.of(ArbiterConfig.TOPIC_DECISIONS, ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DEAD_LETTERS)) {
      List<ConsumerRecord<byte[], byte[]>> records = readAll(ADMIN, ADMIN_PASSWORD, config.get(output), "read_committed");
      assertThat(records).as(output.key()).isNotEmpty().noneMatch(SecureKafkaIT::mentionsAUser);
      if (output == ArbiterConfig.TOPIC_DEAD_LETTERS) {
        deadLetters.addAll(KafkaFixture.decodeAll(records));
      }
    }
    // The refused turns were dead-lettered with their content, only without the user.
    List<TurnEvent> refused = new ArrayList<>();
    for (DeadLetter letter : deadLetters) {
      byte[] raw = new byte[letter.getRaw().remaining()];
      letter.getRaw().duplicate().get(raw);
      if (raw.length > 0 && WireFormat.decode(raw).record() instanceof TurnEvent turn) {
        refused.add(turn);
      }
    }
    assertThat(refused).extracting(TurnEvent::getRequestId)
        .anyMatch(id -> id.endsWith("-negative"))
        .anyMatch(id -> id.endsWith("-ghost"));
    assertThat(refused).extracting(TurnEvent::getUserId).containsOnlyNulls();
  }

  private static boolean mentionsAUser(ConsumerRecord<byte[], byte[]> record) {
    StringBuilder bytes = new StringBuilder();
    if (record.key() != null) {
      bytes.append(new String(record.key(), StandardCharsets.ISO_8859_1));
    }
    bytes.append(new String(record.value(), StandardCharsets.ISO_8859_1));
    for (Header header : record.headers()) {
      bytes.append(header.key()).append(new String(header.value(), StandardCharsets.ISO_8859_1));
    }
    return bytes.indexOf(USER_DOMAIN) >= 0;
  }

  private static List<Throwable> causes(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  private static ControlCommand forgedCommand(String commandId) {
    List<ControlCommand> real = KafkaFixture.decodeAll(readAll(ADMIN, ADMIN_PASSWORD, config.get(ArbiterConfig.TOPIC_DECISIONS), "read_committed"));
    ControlCommand template = real.stream().filter(c -> c.getAction().equals("PAUSE_EXPOSURE")).findFirst().orElseThrow();
    return ControlCommand.newBuilder(template).setCommandId(commandId).setAction("ROLLBACK").build();
  }

  private static String get(HttpClient http, String url) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url).isEqualTo(200);
    return response.body();
  }

  private static KafkaProducer<byte[], byte[]> producer(String user, String password, String transactionalId) {
    return producer(user, password, transactionalId, true);
  }

  private static KafkaProducer<byte[], byte[]> producer(String user, String password, String transactionalId, boolean idempotent) {
    Properties props = kafka.clientProperties(user, password);
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, String.valueOf(idempotent));
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(props);
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String user, String password, String isolation) {
    Properties props = kafka.clientProperties(user, password);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(props);
  }

  /** Every record of a topic up to its end offsets, read as {@code user}. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String user, String password, String topic, String isolation) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(user, password, isolation)) {
      return KafkaFixture.readToEnd(consumer, topic);
    }
  }

  /**
   * Everything logged at INFO and above while the test runs, into a file: Kafka's and Flink's
   * loggers are raised from the test default (WARN, Kafka ERROR) to what a production log keeps,
   * where the Kafka clients print their configuration. The console stays at WARN.
   */
  static final class LogCapture {
    private static final List<String> RAISED = List.of("org.apache.kafka", "kafka");
    private final LoggerContext context;
    private final Appender appender;
    private final Path file;

    private LogCapture(LoggerContext context, Appender appender, Path file) {
      this.context = context;
      this.appender = appender;
      this.file = file;
    }

    static LogCapture start(Path file) throws Exception {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.deleteIfExists(file);
      LoggerContext context = (LoggerContext) LogManager.getContext(false);
      Configuration configuration = context.getConfiguration();
      Appender appender = FileAppender.newBuilder().setName("secure-it-capture").withFileName(file.toString())
          .setLayout(PatternLayout.newBuilder().withPattern("%d{HH:mm:ss,SSS} %-5p %c - %m%n").build())
          .withImmediateFlush(true).build();
      appender.start();
      configuration.addAppender(appender);
      LoggerConfig root = configuration.getRootLogger();
      for (Map.Entry<String, Appender> existing : Map.copyOf(root.getAppenders()).entrySet()) {
        root.removeAppender(existing.getKey());
        root.addAppender(existing.getValue(), Level.WARN, null);
      }
      root.setLevel(Level.INFO);
      root.addAppender(appender, Level.INFO, null);
      for (String name : RAISED) {
        configuration.getLoggerConfig(name).setLevel(Level.INFO);
      }
      context.updateLoggers();
      return new LogCapture(context, appender, file);
    }

    String text() throws Exception {
      return Files.readString(file, StandardCharsets.UTF_8);
    }

    void stop() {
      // Back to the test configuration file, without the capture.
      context.reconfigure();
      appender.stop();
    }
  }
}
