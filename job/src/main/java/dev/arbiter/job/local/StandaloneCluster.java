package dev.arbiter.job.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A real Flink standalone session cluster without a Flink distribution: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}) as
 * separate JVM processes on the Maven-resolved Flink classpath that the {@code ./arbiter} launcher
 * uses, configured by a generated Flink 2 {@code config.yaml}. Jobs go in through the REST API.
 */
public final class StandaloneCluster implements AutoCloseable {
  private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  /** TaskExecutor's log line once it has registered at the resource manager. */
  private static final String TM_REGISTERED = "Successful registration at resource manager";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  /** Where the cluster's code comes from: the job module's build output. */
  public record Layout(Path jobJar, String providedClasspath, String clusterClasspath, List<String> jvmOptions) {
    /** Reads {@code arbiter-job.jar} and {@code launcher/} under the job module's {@code target} directory. */
    public static Layout of(Path jobTarget) {
      try {
        Path launcher = jobTarget.resolve("launcher");
        String classpath = Files.readString(launcher.resolve("provided-classpath.txt")).trim();
        String cluster = Files.readString(launcher.resolve("cluster-classpath.txt")).trim();
        List<String> options = Arrays.stream(Files.readString(launcher.resolve("jvm-options.txt")).trim().split("\\s+"))
            .filter(o -> !o.isBlank()).toList();
        return new Layout(jobTarget.resolve("arbiter-job.jar"), classpath, cluster, options);
      } catch (IOException e) {
        throw new UncheckedIOException("no built job under " + jobTarget + " (run mvn -DskipTests package -pl job -am): " + e.getMessage(), e);
      }
    }

    /** What a {@link KafkaProcess} child needs: the broker classes and the job's own, as the launcher puts them. */
    public String kafkaClasspath() {
      return jobJar + java.io.File.pathSeparator + providedClasspath;
    }
  }

  private final Path workDir;
  private final Layout layout;
  private final Path confDir;
  private final Configuration configuration;
  private final FlinkRest rest;
  private Process jobManager;
  private final Map<String, Process> taskManagers = new LinkedHashMap<>();
  private int taskManagersStarted;

  private StandaloneCluster(Path workDir, Layout layout, Map<String, String> settings) {
    this.workDir = workDir;
    this.layout = layout;
    this.confDir = workDir.resolve("conf");
    this.configuration = Configuration.fromMap(settings);
    this.rest = new FlinkRest(URI.create("http://localhost:" + settings.get("rest.port")));
  }

  /**
   * Starts a JobManager and one TaskManager with {@code slots} slots; {@code overrides} replace or add
   * entries of the generated configuration.
   */
  public static StandaloneCluster start(Path workDir, Layout layout, int slots, Map<String, String> overrides) {
    try {
      Files.createDirectories(workDir.resolve("log"));
      Map<String, String> settings = settings(workDir, slots);
      settings.putAll(overrides);
      StandaloneCluster cluster = new StandaloneCluster(workDir, layout, settings);
      cluster.writeConfiguration(settings);
      cluster.startJobManager();
      cluster.startTaskManager();
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The generated configuration: loopback only, free ports, RocksDB, checkpoints under the work dir, quick failure detection. */
  static Map<String, String> settings(Path workDir, int slots) throws IOException {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("jobmanager.rpc.address", "localhost");
    s.put("jobmanager.bind-host", "localhost");
    s.put("jobmanager.rpc.port", Integer.toString(EmbeddedKafka.freePort()));
    s.put("rest.address", "localhost");
    s.put("rest.bind-address", "localhost");
    s.put("rest.port", Integer.toString(EmbeddedKafka.freePort()));
    s.put("blob.server.port", Integer.toString(EmbeddedKafka.freePort()));
    s.put("taskmanager.host", "localhost");
    s.put("taskmanager.bind-host", "localhost");
    s.put("taskmanager.rpc.port", "0");
    s.put("taskmanager.data.port", "0");
    s.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
    s.put("parallelism.default", Integer.toString(slots));
    s.put("jobmanager.memory.process.size", "1024m");
    s.put("taskmanager.memory.process.size", "1536m");
    s.put("state.backend.type", "rocksdb");
    s.put("execution.checkpointing.incremental", "true");
    s.put("execution.checkpointing.dir", workDir.resolve("checkpoints").toUri().toString());
    s.put("execution.checkpointing.savepoint-dir", workDir.resolve("savepoints").toUri().toString());
    s.put("restart-strategy.type", "fixed-delay");
    s.put("restart-strategy.fixed-delay.attempts", "1000");
    s.put("restart-strategy.fixed-delay.delay", "1 s");
    // A SIGKILLed TaskManager refuses connections: two failed heartbeat calls a second apart find it. The
    // timeout is only for a TaskManager that stops answering, and must survive GC pauses on a busy machine.
    s.put("heartbeat.interval", "1000");
    s.put("heartbeat.rpc-failure-threshold", "2");
    s.put("heartbeat.timeout", "30000");
    s.put("web.upload.dir", workDir.resolve("uploads").toString());
    s.put("io.tmp.dirs", workDir.resolve("tmp").toString());
    return s;
  }

  public FlinkRest rest() {
    return rest;
  }

  public Path workDir() {
    return workDir;
  }

  public long jobManagerPid() {
    return jobManager.pid();
  }

  /** Pids of the TaskManagers this object started that are still alive. */
  public List<Long> taskManagerPids() {
    return taskManagers.values().stream().filter(Process::isAlive).map(Process::pid).toList();
  }

  /** Starts one more TaskManager process and waits until it has registered; returns its resource id, {@code taskmanager-<n>}. */
  public String startTaskManager() {
    TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(configuration);
    List<String> command = new ArrayList<>();
    int index = ++taskManagersStarted;
    Path log = workDir.resolve("log").resolve("taskmanager-" + index + ".log");
    command.add(ChildProcesses.javaExecutable());
    command.addAll(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
    command.addAll(jvm(log));
    command.add(TASK_MANAGER_MAIN);
    command.add("--configDir");
    command.add(confDir.toString());
    command.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    String resourceId = "taskmanager-" + index;
    command.add("-D");
    command.add("taskmanager.resource-id=" + resourceId);
    Process process = launch(command, workDir.resolve("log").resolve("taskmanager-" + index + ".out"));
    taskManagers.put(resourceId, process);
    ChildProcesses.awaitLine(process, log, TM_REGISTERED, START_TIMEOUT, "TaskManager " + index);
    return resourceId;
  }

  /** SIGKILLs the TaskManager with this resource id (as Flink's REST API names it) and waits until the process is gone. */
  public void killTaskManager(String resourceId) {
    Process victim = taskManagers.get(resourceId);
    if (victim == null || !victim.isAlive()) {
      throw new IllegalStateException("no live TaskManager " + resourceId);
    }
    victim.destroyForcibly();
    victim.onExit().join();
  }

  /** Polls {@code condition} every 100 ms until it holds; fails after {@code timeout} with {@code what}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!holds(condition)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      ChildProcesses.pause(Duration.ofMillis(100));
    }
  }

  private static boolean holds(BooleanSupplier condition) {
    try {
      return condition.getAsBoolean();
    } catch (RuntimeException e) {
      // The REST endpoint refuses or a job is not known yet while a JobManager is busy: not yet.
      return false;
    }
  }

  /** Stops every TaskManager, then the JobManager (SIGTERM, SIGKILL after a grace period). */
  @Override
  public void close() {
    for (Process taskManager : taskManagers.values()) {
      ChildProcesses.terminate(taskManager.toHandle(), Duration.ofSeconds(20));
    }
    if (jobManager != null) {
      ChildProcesses.terminate(jobManager.toHandle(), Duration.ofSeconds(20));
    }
  }

  private void startJobManager() {
    JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(configuration);
    List<String> command = new ArrayList<>();
    command.add(ChildProcesses.javaExecutable());
    command.addAll(split(JobManagerProcessUtils.generateJvmParametersStr(spec, configuration)));
    command.addAll(jvm(workDir.resolve("log").resolve("jobmanager.log")));
    command.add(JOB_MANAGER_MAIN);
    command.add("--configDir");
    command.add(confDir.toString());
    command.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    jobManager = launch(command, workDir.resolve("log").resolve("jobmanager.out"));
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!rest.reachable()) {
      if (!jobManager.isAlive()) {
        throw new IllegalStateException("JobManager exited with " + jobManager.exitValue() + "; see " + workDir.resolve("log"));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("JobManager REST not reachable within " + START_TIMEOUT.toSeconds() + " s; see " + workDir.resolve("log"));
      }
      ChildProcesses.pause(Duration.ofMillis(200));
    }
  }

  private List<String> jvm(Path logFile) {
    List<String> options = new ArrayList<>(layout.jvmOptions());
    options.add("-Dlog.file=" + logFile);
    options.add("-Dlog4j2.configurationFile=" + confDir.resolve("log4j2.properties").toUri());
    options.add("-cp");
    options.add(layout.clusterClasspath());
    return options;
  }

  private Process launch(List<String> command, Path output) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeConfiguration(Map<String, String> settings) throws IOException {
    Files.createDirectories(confDir);
    // Flink 2 reads config.yaml as YAML and accepts flattened keys; every value is quoted as a string.
    String yaml = settings.entrySet().stream()
        .map(e -> e.getKey() + ": \"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
        .collect(Collectors.joining("\n", "", "\n"));
    Files.writeString(confDir.resolve("config.yaml"), yaml);
    ChildProcesses.log4j(confDir, "log4j2.properties", """
        monitorInterval = 0
        rootLogger.level = INFO
        rootLogger.appenderRef.file.ref = file
        logger.kafka.name = org.apache.kafka
        logger.kafka.level = WARN
        appender.file.type = File
        appender.file.name = file
        appender.file.fileName = ${sys:log.file}
        appender.file.layout.type = PatternLayout
        appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n
        """);
  }

  private static List<String> split(String arguments) {
    return Arrays.stream(arguments.trim().split("\\s+")).filter(a -> !a.isBlank()).toList();
  }
}
