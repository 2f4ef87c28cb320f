package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.job.cli.ArbiterCli;
import dev.arbiter.wire.JsonForm;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The docker/flink-cluster recipe against the code: a real compose validator accepts the file,
 * images follow the parent pom's versions, Flink reads conf/config.yaml and knows every key in it,
 * ports agree between services, Prometheus and Grafana, topics carry the job's default names, and
 * the commands the services run are accepted by the CLI.
 *
 * <p>The compose validator is Debian's {@code docker-compose} (v1, {@code config -q} needs no
 * daemon). Without it the validation is skipped on a workstation but fails under CI (env CI set),
 * where {@code .ci/run} installs it first.
 */
class DockerRecipeTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path RECIPE = ROOT.resolve("docker/flink-cluster");
  static final String PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
  /** The Prometheus reporter's own option (org.apache.flink.metrics.prometheus.PrometheusReporterOptions); not on this classpath. */
  static final Set<String> PROMETHEUS_REPORTER_KEYS = Set.of("port", "filterLabelValueCharacters");

  static Map<String, String> pom;
  static JsonNode compose;
  static JsonNode services;
  static Configuration flink;

  @BeforeAll
  static void read() throws Exception {
    pom = pomProperties(ROOT.resolve("pom.xml"));
    compose = JsonForm.YAML.readTree(RECIPE.resolve("docker-compose.yml").toFile());
    services = compose.get("services");
    flink = GlobalConfiguration.loadConfiguration(RECIPE.resolve("conf").toString());
  }

  @Test
  void composeFilePassesTheComposeValidator() throws Exception {
    Path binary = onPath("docker-compose");
    if (binary == null) {
      if (System.getenv("CI") != null && !System.getenv("CI").isBlank() && !"false".equals(System.getenv("CI"))) {
        fail("docker-compose is not installed; .ci/run installs it (apt-get install -y docker-compose) before mvn -B verify");
      }
      Assumptions.abort("docker-compose is not installed (apt-get install -y docker-compose); the check is required under CI");
    }
    Process process = new ProcessBuilder(binary.toString(), "-f", RECIPE.resolve("docker-compose.yml").toString(), "config", "-q")
        .redirectErrorStream(true).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("docker-compose config finished").isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
  }

  @Test
  void imagesFollowTheParentPom() {
    String flinkImage = "flink:" + pom.get("flink.version") + "-java" + pom.get("maven.compiler.release");
    String kafkaImage = "apache/kafka:" + pom.get("kafka.version");
    Map<String, String> images = new LinkedHashMap<>();
    services.fields().forEachRemaining(e -> images.put(e.getKey(), e.getValue().path("image").asText()));
    assertThat(images).containsKeys("kafka", "jobmanager", "taskmanager-1", "taskmanager-2", "topics", "submit", "simulate",
        "prometheus", "grafana");
    images.forEach((service, image) -> {
      if (image.startsWith("flink:")) {
        assertThat(image).as(service).isEqualTo(flinkImage);
      } else if (image.startsWith("apache/kafka:")) {
        assertThat(image).as(service).isEqualTo(kafkaImage);
      } else {
        assertThat(image).as(service + " pins a version").matches("[a-z/]+:v?\\d+\\.\\d+\\.\\d+");
      }
    });
    assertThat(images.values()).contains(flinkImage, kafkaImage);
  }

  @Test
  void flinkKnowsEveryKeyOfConfigYaml() throws Exception {
    Set<String> known = flinkOptionKeys();
    Set<String> reporterSuffixes = new HashSet<>(PROMETHEUS_REPORTER_KEYS);
    // MetricOptions declares the per-reporter options by their suffix (factory.class, interval, ...).
    for (ConfigOption<?> option : options(MetricOptions.class)) {
      if (!option.key().startsWith("metrics.")) {
        reporterSuffixes.add(option.key());
      }
    }
    assertThat(reporterSuffixes).contains("factory.class", "interval");
    assertThat(known).hasSizeGreaterThan(500);
    Pattern reporterKey = Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)");
    List<String> unknown = new ArrayList<>();
    for (String key : flink.keySet()) {
      Matcher m = reporterKey.matcher(key);
      boolean ok = known.contains(key) || (m.matches() && reporterSuffixes.contains(m.group(2)));
      if (!ok) {
        unknown.add(key);
      }
    }
    assertThat(unknown).as("keys Flink does not know").isEmpty();
    assertThat(flink.keySet()).hasSizeGreaterThan(20);
  }

  @Test
  void configYamlHasRocksDbIncrementalCheckpointsOnTheVolumeRestartsAndPrometheus() {
    assertThat(flink.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
    assertThat(flink.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
    assertThat(flink.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
    assertThat(flink.get(MetricOptions.REPORTERS_LIST)).isEqualTo("prom");
    assertThat(flink.getString("metrics.reporter.prom.factory.class", "")).isEqualTo(PROMETHEUS_FACTORY);
    assertThat(flink.get(CoreOptions.FLINK_JVM_OPTIONS)).isEqualTo(pom.get("flink.jvm.opens"));

    // Checkpoints and savepoints live on a named volume that every JobManager and TaskManager mounts.
    String checkpoints = flink.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
    String savepoints = flink.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
    for (String service : List.of("jobmanager", "taskmanager-1", "taskmanager-2")) {
      String volume = mountOf(service, "/var/arbiter");
      assertThat(volume).as(service + " mounts /var/arbiter").isNotNull();
      assertThat(compose.path("volumes").has(volume.split(":")[0])).as(volume + " is a named volume").isTrue();
    }
    assertThat(checkpoints).startsWith("file:///var/arbiter/");
    assertThat(savepoints).startsWith("file:///var/arbiter/");
    assertThat(command("submit")).contains("--checkpoint.dir " + checkpoints);
  }

  @Test
  void portsAgreeBetweenServicesPrometheusAndGrafana() throws Exception {
    int reporterPort = Integer.parseInt(flink.getString("metrics.reporter.prom.port", "-1"));
    JsonNode prometheus = JsonForm.YAML.readTree(RECIPE.resolve("prometheus/prometheus.yml").toFile());
    Set<String> targets = new TreeSet<>();
    for (JsonNode job : prometheus.get("scrape_configs")) {
      if (job.get("job_name").asText().equals("flink")) {
        job.get("static_configs").forEach(c -> c.get("targets").forEach(t -> targets.add(t.asText())));
      }
    }
    Set<String> flinkProcesses = new TreeSet<>();
    services.fields().forEachRemaining(e -> {
      String entrypoint = e.getValue().path("entrypoint").toString();
      if (entrypoint.contains("docker-entrypoint.sh jobmanager") || entrypoint.contains("docker-entrypoint.sh taskmanager")) {
        flinkProcesses.add(e.getKey() + ":" + reporterPort);
      }
    });
    assertThat(targets).as("Prometheus scrapes every Flink process on the reporter port").isEqualTo(flinkProcesses).hasSize(3);

    assertThat(ports("jobmanager")).contains(flink.get(RestOptions.PORT) + ":" + flink.get(RestOptions.PORT));
    assertThat(command("submit")).contains("-m jobmanager:" + flink.get(RestOptions.PORT));

    JsonNode datasource = JsonForm.YAML.readTree(RECIPE.resolve("grafana/provisioning/datasources/prometheus.yml").toFile())
        .get("datasources").get(0);
    String prometheusPort = ports("prometheus").get(0).split(":")[1];
    assertThat(datasource.get("url").asText()).isEqualTo("http://prometheus:" + prometheusPort);
    JsonNode dashboard = JsonForm.JSON.readTree(RECIPE.resolve("grafana/dashboards/arbiter.json").toFile());
    assertThat(dashboard.findValues("uid")).extracting(JsonNode::asText).contains(datasource.get("uid").asText());
    String provisioned = JsonForm.YAML.readTree(RECIPE.resolve("grafana/provisioning/dashboards/arbiter.yml").toFile())
        .get("providers").get(0).get("options").get("path").asText();
    assertThat(mountOf("grafana", provisioned)).startsWith("./grafana/dashboards:");

    // Inside the compose network every client uses the broker's internal listener.
    String internal = listener(services.get("kafka").get("environment").get("KAFKA_ADVERTISED_LISTENERS").asText(), "PLAINTEXT");
    assertThat(command("submit")).contains("--bootstrap-servers " + internal);
    assertThat(command("simulate")).contains("--bootstrap-servers " + internal);
    assertThat(services.get("topics").get("entrypoint").toString()).contains("\"" + internal + "\"");
    assertThat(services.get("kafka").get("healthcheck").toString()).contains(internal);
    assertThat(ports("kafka")).contains(listener(services.get("kafka").get("environment").get("KAFKA_ADVERTISED_LISTENERS").asText(), "HOST")
        .replaceFirst("localhost:(\\d+)", "$1:$1"));
  }

  @Test
  void topicsAreTheJobsDefaultsWithTheRegistryCompacted() throws IOException {
    Map<String, String> created = new LinkedHashMap<>();
    Matcher m = Pattern.compile("create --topic (\\S+)(.*)").matcher(Files.readString(RECIPE.resolve("create-topics.sh")));
    while (m.find()) {
      created.put(m.group(1), m.group(2));
    }
    Set<String> defaults = ArbiterConfig.all().stream().filter(s -> s.key().startsWith("topic."))
        .map(ArbiterConfig.Setting::defaultValue).collect(Collectors.toCollection(TreeSet::new));
    assertThat(new TreeSet<>(created.keySet())).isEqualTo(defaults);
    assertThat(created.get(ArbiterConfig.TOPIC_EXPERIMENTS.defaultValue())).contains("cleanup.policy=compact").contains("--partitions 1");
    created.forEach((topic, settings) -> {
      if (!topic.equals(ArbiterConfig.TOPIC_EXPERIMENTS.defaultValue())) {
        assertThat(settings).as(topic).doesNotContain("compact");
      }
    });
    assertThat(services.get("kafka").get("environment").get("KAFKA_AUTO_CREATE_TOPICS_ENABLE").asText()).isEqualTo("false");
  }

  @Test
  void servicesRunCommandsTheCliAccepts() {
    String submit = command("submit");
    String jarArgs = submit.substring(submit.indexOf("arbiter-job.jar") + "arbiter-job.jar".length()).strip();
    ArbiterCli.commandLine().parseArgs(prepend("run", jarArgs.split("\\s+")));
    assertThat(submit).contains("/opt/arbiter/arbiter-job.jar");
    assertThat(mountOf("submit", "/opt/arbiter/arbiter-job.jar")).startsWith("../../job/target/arbiter-job.jar:");
    assertThat(finalName()).isEqualTo("arbiter-job");

    String simulate = command("simulate");
    String simulateArgs = simulate.substring(simulate.indexOf(" simulate ") + " simulate ".length()).strip();
    ArbiterCli.commandLine().parseArgs(prepend("simulate", simulateArgs.split("\\s+")));
    assertThat(simulate).contains("dev.arbiter.job.cli.ArbiterCli");
    assertThat(mountOf("simulate", "/opt/arbiter/arbiter-job.jar")).startsWith("../../job/target/arbiter-job.jar:");
  }

  @Test
  void dashboardQueriesArbitersMetrics() throws IOException {
    JsonNode dashboard = JsonForm.JSON.readTree(RECIPE.resolve("grafana/dashboards/arbiter.json").toFile());
    String queries = dashboard.findValues("expr").stream().map(JsonNode::asText).collect(Collectors.joining("\n"));
    String arbiter = "flink_taskmanager_job_task_operator_arbiter_";
    assertThat(queries).contains(arbiter + "eventsIn", arbiter + "reason_deadLetters", "by (reason)", arbiter + "action_commands",
        "by (action)", arbiter + "windowsClosed", arbiter + "handling_lateEvents", arbiter + "experiment_units",
        "pendingRecords", "lastCheckpointDuration");
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static String command(String service) {
    JsonNode command = services.get(service).get("command");
    return (command.isArray() ? command.get(command.size() - 1).asText() : command.asText()).replaceAll("\\s+", " ");
  }

  private static List<String> ports(String service) {
    List<String> ports = new ArrayList<>();
    services.get(service).path("ports").forEach(p -> ports.add(p.asText()));
    return ports;
  }

  private static String mountOf(String service, String containerPath) {
    for (JsonNode volume : services.get(service).path("volumes")) {
      String[] parts = volume.asText().split(":");
      if (parts.length >= 2 && parts[1].equals(containerPath)) {
        return volume.asText();
      }
    }
    return null;
  }

  private static String listener(String listeners, String name) {
    for (String listener : listeners.split(",")) {
      if (listener.startsWith(name + "://")) {
        return listener.substring(name.length() + 3);
      }
    }
    throw new AssertionError("no " + name + " listener in " + listeners);
  }

  /** Every key (and deprecated or fallback key) of every ConfigOption in Flink's *Options classes. */
  static Set<String> flinkOptionKeys() throws IOException, ClassNotFoundException {
    Set<String> keys = new HashSet<>();
    File jar = new File(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    try (JarFile classes = new JarFile(jar)) {
      for (String name : classes.stream().map(e -> e.getName())
          .filter(n -> n.matches("org/apache/flink/configuration/[A-Za-z]+Options\\.class")).toList()) {
        Class<?> type = Class.forName(name.replace('/', '.').replace(".class", ""));
        for (ConfigOption<?> option : options(type)) {
          keys.add(option.key());
          for (FallbackKey fallback : option.fallbackKeys()) {
            keys.add(fallback.getKey());
          }
        }
      }
    }
    return keys;
  }

  static List<ConfigOption<?>> options(Class<?> type) {
    List<ConfigOption<?>> options = new ArrayList<>();
    for (Field field : type.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && ConfigOption.class.isAssignableFrom(field.getType())) {
        try {
          options.add((ConfigOption<?>) field.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return options;
  }

  static Map<String, String> pomProperties(Path file) throws Exception {
    Element properties = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile())
        .getDocumentElement().getElementsByTagName("properties").item(0);
    Map<String, String> values = new LinkedHashMap<>();
    NodeList children = properties.getChildNodes();
    for (int i = 0; i < children.getLength(); i++) {
      Node node = children.item(i);
      if (node instanceof Element element) {
        values.put(element.getTagName(), element.getTextContent().strip());
      }
    }
    return values;
  }

  private static String finalName() {
    try {
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("job/pom.xml").toFile())
          .getElementsByTagName("finalName").item(0).getTextContent().strip();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path onPath(String binary) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(dir -> Path.of(dir, binary)).filter(Files::isExecutable).findFirst().orElse(null);
  }
}
