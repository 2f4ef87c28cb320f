package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.local.FlinkRest;
import dev.arbiter.job.local.KafkaProcess;
import dev.arbiter.job.local.StandaloneCluster;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.Scenarios;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under real faults: the job on a standalone cluster (a JobManager and TaskManager
 * processes), fed a fixed input while its TaskManager is SIGKILLed three times and the broker
 * process is restarted once, commits the same commands, command by command, as a fault-free run
 * of the same input on the same cluster.
 */
class TaskManagerKillIT {
  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final List<String> SCENARIOS = List.of("judge-drop", "cost-ratio");

  @TempDir
  static Path work;
  static KafkaProcess kafka;
  static StandaloneCluster flink;
  static String jarId;

  @BeforeAll
  static void startCluster() {
    StandaloneCluster.Layout layout = StandaloneCluster.Layout.of(ClusterRun.jobTarget());
    kafka = KafkaProcess.start(work.resolve("kafka"), layout.kafkaClasspath());
    flink = StandaloneCluster.start(work.resolve("flink"), layout, 2, Map.of());
    // A spare, as a real cluster keeps: the job fails over to it while a replacement starts.
    flink.startTaskManager();
    jarId = flink.rest().uploadJar(layout.jobJar());
  }

  @AfterAll
  static void stopCluster() {
    if (flink != null) {
      flink.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /** The scenarios' definitions and their traffic, in event-time order, starting two hours ago. */
  record Input(List<ExperimentDefinition> definitions, List<SpecificRecord> events, long end) {}

  static Input input() {
    long start = System.currentTimeMillis() - Duration.ofHours(2).toMillis();
    List<ExperimentDefinition> definitions = new ArrayList<>();
    List<SpecificRecord> events = new ArrayList<>();
    long seed = 11;
    for (String name : SCENARIOS) {
      Scenarios.Scenario scenario = Scenarios.named(name, start);
      definitions.add(scenario.definition());
      SupportBotTraffic traffic = scenario.traffic().apply(seed++);
      traffic.forEachRemaining(events::add);
    }
    events.sort(Comparator.comparingLong(Events::eventTime));
    return new Input(definitions, events, Events.eventTime(events.get(events.size() - 1)));
  }

  /**
   * Turns, outcomes and judge scores of an unregistered experiment in every partition of every
   * input topic, far after the traffic, so event time passes every window of it everywhere. Two
   * of them, 40 minutes apart: the second releases the first's turns as {@code unknown_experiment}
   * dead letters, which is how a test sees that event time has passed the whole input.
   */
  static void sendTicks(ClusterRun run, KafkaProducer<byte[], byte[]> producer, Input input) throws Exception {
    TurnEvent turn = input.events().stream().filter(TurnEvent.class::isInstance).map(TurnEvent.class::cast).findFirst().orElseThrow();
    OutcomeEvent outcome = input.events().stream().filter(OutcomeEvent.class::isInstance).map(OutcomeEvent.class::cast).findFirst().orElseThrow();
    JudgeScoreEvent judge = input.events().stream().filter(JudgeScoreEvent.class::isInstance).map(JudgeScoreEvent.class::cast).findFirst().orElseThrow();
    for (String tick : List.of("flush-a", "flush-b")) {
      long time = input.end() + (tick.equals("flush-a") ? 20 : 60) * 60_000L;
      for (int partition = 0; partition < 2; partition++) {
        String id = tick + "-" + partition;
        producer.send(new ProducerRecord<>(run.topic(ArbiterConfig.TOPIC_TURNS), partition, null, WireFormat.encode(
            TurnEvent.newBuilder(turn).setExperimentId(tick).setUnitId(id).setConversationId(id).setRequestId(id).setEventTime(time).build())));
        producer.send(new ProducerRecord<>(run.topic(ArbiterConfig.TOPIC_OUTCOMES), partition, null, WireFormat.encode(
            OutcomeEvent.newBuilder(outcome).setExperimentId(tick).setUnitId(id).setEventTime(time).build())));
        producer.send(new ProducerRecord<>(run.topic(ArbiterConfig.TOPIC_JUDGE_SCORES), partition, null, WireFormat.encode(
            JudgeScoreEvent.newBuilder(judge).setExperimentId(tick).setUnitId(id).setRequestId(id).setEventTime(time).build())));
      }
    }
    producer.flush();
  }

  /** Waits until event time has passed the whole input and what it closed is committed. */
  static void awaitInputJudged(ClusterRun run) {
    FlinkRest rest = flink.rest();
    StandaloneCluster.await(run.name + " event time past the input", WAIT, () -> run.committedDeadLetters().stream()
        .anyMatch(d -> "flush-a".equals(d.getExperimentId()) && d.getSourceTopic().equals(run.topic(ArbiterConfig.TOPIC_TURNS))));
    long seen = rest.checkpoints(run.jobId).completed();
    StandaloneCluster.await(run.name + " one more checkpoint", WAIT, () -> rest.checkpoints(run.jobId).completed() > seen);
  }

  static ClusterRun run(String name) throws Exception {
    // Every partition of every input topic carries data, so no source split needs to be declared
    // idle; the watermark is the minimum over all of them and no record turns late by chance.
    ClusterRun run = new ClusterRun(name, kafka.bootstrapServers(), Map.of(ArbiterConfig.IDLENESS_MS.key(), "600000"));
    run.createTopics();
    return run;
  }

  @Test
  void killedTaskManagersAndARestartedBrokerChangeNoCommittedCommand() throws Exception {
    Input input = input();
    FlinkRest rest = flink.rest();

    ClusterRun clean = run("clean");
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      for (ExperimentDefinition definition : input.definitions()) {
        KafkaFixture.send(producer, clean.topic(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      }
      clean.send(producer, input.events());
      sendTicks(clean, producer, input);
    }
    clean.submit(rest, jarId);
    awaitInputJudged(clean);
    List<ControlCommand> expected = clean.committedCommands();
    rest.cancel(clean.jobId);
    StandaloneCluster.await("the clean job to cancel", WAIT, () -> rest.jobState(clean.jobId).equals("CANCELED"));

    ClusterRun faulty = run("faulty");
    List<String> recoveries = new ArrayList<>();
    faulty.submit(rest, jarId);
    List<List<SpecificRecord>> quarters = quarters(input.events());
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      for (ExperimentDefinition definition : input.definitions()) {
        KafkaFixture.send(producer, faulty.topic(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      }
      faulty.send(producer, quarters.get(0));
      recoveries.add(killTaskManagerWhileFeeding(faulty, producer, quarters.get(1)));
      recoveries.add(killTaskManagerWhileFeeding(faulty, producer, quarters.get(2)));
      recoveries.add(restartBroker(faulty));
      faulty.send(producer, quarters.get(3));
      recoveries.add(killTaskManagerWhileFeeding(faulty, producer, List.of()));
      sendTicks(faulty, producer, input);
    }
    awaitInputJudged(faulty);
    List<ControlCommand> actual = faulty.committedCommands();
    FlinkRest.Checkpoints checkpoints = rest.checkpoints(faulty.jobId);
    System.out.printf("TaskManagerKillIT: %d events, %d commands; restored %d times; %s%n  %s%n", input.events().size(), actual.size(),
        checkpoints.restored(), String.join("; ", recoveries), String.join("\n  ", describe(actual)));

    assertThat(expected).as("the fault-free run decides several commands").hasSizeGreaterThanOrEqualTo(3);
    assertThat(checkpoints.restored()).as("the job restored from checkpoints after each fault").isGreaterThanOrEqualTo(3);
    assertThat(actual).extracting(ControlCommand::getCommandId).doesNotHaveDuplicates();
    assertThat(describe(actual)).containsExactlyInAnyOrderElementsOf(describe(expected));
  }

  private static List<String> describe(List<ControlCommand> commands) {
    return commands.stream().map(c -> c.getCommandId() + " " + c.getAction() + " " + c.getExperimentId() + " " + c.getRuleId() + " "
        + c.getSegment() + " " + c.getWindowStart()).sorted().collect(Collectors.toList());
  }

  private static List<List<SpecificRecord>> quarters(List<SpecificRecord> events) {
    int size = events.size();
    return List.of(events.subList(0, size / 4), events.subList(size / 4, size / 2), events.subList(size / 2, 3 * size / 4),
        events.subList(3 * size / 4, size));
  }

  /**
   * Once a checkpoint has completed since the last fault, SIGKILLs a TaskManager that runs the
   * job's tasks, feeds more input while the job is down, and waits until the job has restored
   * on the spare TaskManager and runs again, then until its first checkpoint after the restore.
   * Then starts a replacement (a standalone cluster does not) as the next spare.
   */
  private static String killTaskManagerWhileFeeding(ClusterRun run, KafkaProducer<byte[], byte[]> producer, List<SpecificRecord> more) {
    FlinkRest rest = flink.rest();
    FlinkRest.Checkpoints before = rest.checkpoints(run.jobId);
    StandaloneCluster.await("a checkpoint before the kill", WAIT, () -> rest.checkpoints(run.jobId).completed() > before.completed());
    long restored = rest.checkpoints(run.jobId).restored();
    String victim = rest.taskManagersOf(run.jobId).iterator().next();
    long killedAt = System.nanoTime();
    flink.killTaskManager(victim);
    run.send(producer, more);
    StandaloneCluster.await("the job to restore after killing " + victim, WAIT,
        () -> rest.checkpoints(run.jobId).restored() > restored && rest.allTasksRunning(run.jobId));
    long runningAt = System.nanoTime();
    long completed = rest.checkpoints(run.jobId).completed();
    StandaloneCluster.await("a checkpoint after the restore", WAIT, () -> rest.checkpoints(run.jobId).completed() > completed);
    long checkpointAt = System.nanoTime();
    assertThat(rest.taskManagersOf(run.jobId)).as("tasks after the kill").doesNotContain(victim);
    flink.startTaskManager();
    return String.format("TM kill: job RUNNING %.1f s, first checkpoint %.1f s after the kill",
        seconds(runningAt - killedAt), seconds(checkpointAt - killedAt));
  }

  /** Stops the broker process (SIGTERM) and starts it again on the same data; waits for the job's next checkpoint. */
  private static String restartBroker(ClusterRun run) {
    FlinkRest rest = flink.rest();
    long before = rest.checkpoints(run.jobId).completed();
    StandaloneCluster.await("a checkpoint before the broker restart", WAIT, () -> rest.checkpoints(run.jobId).completed() > before);
    long stoppedAt = System.nanoTime();
    kafka.restart();
    long upAt = System.nanoTime();
    long completed = rest.checkpoints(run.jobId).completed();
    StandaloneCluster.await("a checkpoint after the broker restart", WAIT,
        () -> rest.allTasksRunning(run.jobId) && rest.checkpoints(run.jobId).completed() > completed);
    return String.format("broker restart: broker back %.1f s, first checkpoint %.1f s after the stop",
        seconds(upAt - stoppedAt), seconds(System.nanoTime() - stoppedAt));
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
