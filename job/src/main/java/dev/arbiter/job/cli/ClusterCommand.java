package dev.arbiter.job.cli;

import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.local.FlinkRest;
import dev.arbiter.job.local.KafkaProcess;
import dev.arbiter.job.local.StandaloneCluster;
import dev.arbiter.job.local.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A real cluster on this machine without Docker: a Kafka broker, a Flink JobManager and a
 * TaskManager as background processes, the topics, and the job submitted through Flink's REST API.
 * Pids and addresses go to a state file, so that {@code status} and {@code down} find them.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Start, inspect or stop a local Kafka + Flink standalone cluster running the job (no Docker needed).",
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Status.class, ClusterCommand.Down.class})
public final class ClusterCommand implements Runnable {
  static final String STATE_FILE = "cluster.properties";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: up, status, down");
  }

  /** The job module's target directory, where the launcher files and the jar this class came from live. */
  static Path jobTarget() {
    try {
      Path source = Path.of(ClusterCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // job/target/arbiter-job.jar or job/target/classes: either way its parent.
      return source.getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path defaultStateDir() {
    return jobTarget().resolve("cluster");
  }

  static Properties readState(Path stateDir) {
    Path file = stateDir.resolve(STATE_FILE);
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("no cluster is up (no " + file + "); start one with: arbiter cluster up");
    }
    Properties state = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      state.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return state;
  }

  static boolean alive(String pid) {
    return pid != null && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
  }

  @Command(name = "up", mixinStandardHelpOptions = true,
      description = "Start Kafka, a JobManager and a TaskManager in the background, create the topics and submit the job. "
          + "Options not listed here go to the job (e.g. --checkpoint.interval-ms 5000).")
  static final class Up implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Data, logs and the state file. Default: job/target/cluster.")
    Path stateDir;

    @Option(names = "--slots", defaultValue = "2", description = "Task slots of the TaskManager, and the job's parallelism. Default: ${DEFAULT-VALUE}.")
    int slots;

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of each topic but the registry. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @CommandLine.Unmatched
    List<String> jobArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Path dir = (stateDir == null ? defaultStateDir() : stateDir).toAbsolutePath();
      if (Files.exists(dir.resolve(STATE_FILE))) {
        Properties state = readState(dir);
        if (Stream.of("kafka.pid", "jobmanager.pid").anyMatch(k -> alive(state.getProperty(k)))) {
          throw new IllegalArgumentException("a cluster is already up (state in " + dir + "); stop it with: arbiter cluster down");
        }
      }
      if (slots < 1 || partitions < 1) {
        throw new IllegalArgumentException("--slots and --partitions must be at least 1");
      }
      deleteRecursively(dir);
      StandaloneCluster.Layout layout = StandaloneCluster.Layout.of(jobTarget());
      KafkaProcess kafka = null;
      StandaloneCluster flink = null;
      try {
        out.println("starting Kafka (KRaft) ...");
        out.flush();
        kafka = KafkaProcess.start(dir.resolve("kafka"), layout.kafkaClasspath());
        ArbiterConfig config = jobConfig(kafka.bootstrapServers());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
          Topics.create(admin, config, partitions);
        }
        out.println("starting Flink: a JobManager and a TaskManager ...");
        out.flush();
        flink = StandaloneCluster.start(dir.resolve("flink"), layout, slots, Map.of());
        FlinkRest rest = flink.rest();
        String jarId = rest.uploadJar(layout.jobJar());
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers()));
        args.addAll(jobArgs);
        String jobId = rest.runJar(jarId, ArbiterJob.class.getName(), slots, args);
        StandaloneCluster.await("the job's tasks to run", Duration.ofSeconds(120), () -> rest.allTasksRunning(jobId));
        Properties state = new Properties();
        state.setProperty("kafka.pid", Long.toString(kafka.pid()));
        state.setProperty("kafka.bootstrap", kafka.bootstrapServers());
        state.setProperty("jobmanager.pid", Long.toString(flink.jobManagerPid()));
        state.setProperty("taskmanager.pids", flink.taskManagerPids().stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse(""));
        state.setProperty("rest.url", rest.base().toString());
        state.setProperty("job.id", jobId);
        try (Writer writer = Files.newBufferedWriter(dir.resolve(STATE_FILE))) {
          state.store(writer, "arbiter cluster up");
        }
        out.println("Kafka      " + kafka.bootstrapServers() + "   (topics: " + String.join(", ", topics(config)) + ")");
        out.println("Flink UI   " + rest.base() + "   job " + jobId + " RUNNING");
        out.println("logs       " + dir.resolve("flink").resolve("log") + ", " + kafka.logFile());
        out.println("next       arbiter register --bootstrap-servers " + kafka.bootstrapServers() + " ...; arbiter decisions --bootstrap-servers "
            + kafka.bootstrapServers() + " --follow");
        out.println("stop with  arbiter cluster down");
        return 0;
      } catch (RuntimeException e) {
        if (flink != null) {
          flink.close();
        }
        if (kafka != null) {
          kafka.close();
        }
        throw e;
      }
    }

    /** The job's settings as the job will read them, so that the topics created are the ones it uses. */
    private ArbiterConfig jobConfig(String bootstrap) {
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i + 1 < jobArgs.size(); i++) {
        String key = jobArgs.get(i).replaceFirst("^--", "");
        if (ArbiterConfig.all().stream().anyMatch(setting -> setting.key().equals(key))) {
          values.put(key, jobArgs.get(++i));
        }
      }
      values.put(ArbiterConfig.BOOTSTRAP_SERVERS.key(), bootstrap);
      return new ArbiterConfig(values).validated();
    }

    private static List<String> topics(ArbiterConfig config) {
      List<String> names = new ArrayList<>(config.inputTopics());
      for (ArbiterConfig.Setting output : List.of(ArbiterConfig.TOPIC_EXPERIMENTS, ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DECISIONS,
          ArbiterConfig.TOPIC_DEAD_LETTERS)) {
        names.add(config.get(output));
      }
      return names;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show whether the processes are alive, the job's state and its checkpoints; exit 1 if anything is down.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "As given to up. Default: job/target/cluster.")
    Path stateDir;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      Properties state = readState(stateDir == null ? defaultStateDir() : stateDir);
      boolean healthy = true;
      healthy &= process(out, "kafka", state.getProperty("kafka.pid"), state.getProperty("kafka.bootstrap"));
      healthy &= process(out, "jobmanager", state.getProperty("jobmanager.pid"), state.getProperty("rest.url"));
      for (String pid : state.getProperty("taskmanager.pids", "").split(",")) {
        healthy &= process(out, "taskmanager", pid, "");
      }
      String jobId = state.getProperty("job.id");
      try {
        FlinkRest rest = new FlinkRest(URI.create(state.getProperty("rest.url")));
        String jobState = rest.jobState(jobId);
        FlinkRest.Checkpoints checkpoints = rest.checkpoints(jobId);
        out.printf("job          %s %s, checkpoints completed %d, failed %d, restored %d, latest size %d bytes%n", jobId, jobState,
            checkpoints.completed(), checkpoints.failed(), checkpoints.restored(), checkpoints.latestCheckpointedSize());
        healthy &= jobState.equals("RUNNING");
      } catch (RuntimeException e) {
        out.printf("job          %s unknown: %s%n", jobId, e.getMessage());
        healthy = false;
      }
      out.flush();
      return healthy ? 0 : ArbiterCli.FAILURE;
    }

    private static boolean process(PrintWriter out, String name, String pid, String address) {
      boolean up = alive(pid);
      out.printf("%-12s pid %-8s %-5s %s%n", name, pid, up ? "up" : "DOWN", address);
      return up;
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Cancel the job and stop the TaskManager, the JobManager and Kafka. Logs stay in the state directory until the next up.")
  static final class Down implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "As given to up. Default: job/target/cluster.")
    Path stateDir;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      Path dir = stateDir == null ? defaultStateDir() : stateDir;
      Properties state = readState(dir);
      try {
        new FlinkRest(URI.create(state.getProperty("rest.url"))).cancel(state.getProperty("job.id"));
      } catch (RuntimeException e) {
        out.println("job not cancelled (" + e.getMessage() + "); stopping the processes anyway");
      }
      List<String> pids = new ArrayList<>(Arrays.asList(state.getProperty("taskmanager.pids", "").split(",")));
      pids.add(state.getProperty("jobmanager.pid"));
      pids.add(state.getProperty("kafka.pid"));
      for (String pid : pids) {
        if (alive(pid)) {
          ProcessHandle process = ProcessHandle.of(Long.parseLong(pid)).orElseThrow();
          process.destroy();
          try {
            process.onExit().get(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            process.destroyForcibly();
          }
        }
      }
      Files.delete(dir.resolve(STATE_FILE));
      out.println("cluster stopped");
      out.flush();
      return 0;
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
