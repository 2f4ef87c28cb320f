package dev.arbiter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.local.EmbeddedKafka;
import dev.arbiter.job.local.Topics;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Judge scores on their own topic, two minutes after their turns, joined to the turns' variant on
 * a real broker; and a rule relative to the control, end to end.
 */
class JudgeJoinAndRelativeRuleIT {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static final int FROM = 4;
  static EmbeddedKafka kafka;
  static ArbiterConfig config;
  static SupportBotTraffic clock;

  @TempDir
  static Path checkpoints;

  static GuardrailRule rule(String id, String metric, String scope, String direction, double threshold, String action) {
    return GuardrailRule.newBuilder().setId(id).setMetric(metric).setScope(scope).setDirection(direction).setThreshold(threshold)
        .setMinSamples(100).setConsecutiveWindows(2).setRecoveryWindows(3).setAction(action).build();
  }

  @BeforeAll
  static void run() throws Exception {
    kafka = EmbeddedKafka.start();
    // Every input partition holds data and the run is bounded, so none needs to be declared idle; the
    // fixture's 2 s idleness let a partition whose first fetch was slow on a busy machine fall behind
    // the watermark (late turns, outcomes without turns).
    config = KafkaFixture.jobConfig(kafka, checkpoints).with(ArbiterConfig.IDLENESS_MS, 60_000);
    try (Admin admin = kafka.admin()) {
      Topics.create(admin, config, 2);
    }
    long start = System.currentTimeMillis() - 40 * 60_000;
    ExperimentDefinition definition = ExperimentDefinition.newBuilder(RunningExample.definition(start))
        .setGuardrails(List.of(
            rule("helpfulness", "judge_helpfulness_mean", "difference_to_control", "min", -0.5, "PAUSE_EXPOSURE"),
            rule("cost-ratio", "cost_per_turn_usd", "ratio_to_control", "max", 1.25, "REVIEW")))
        .build();
    SupportBotTraffic traffic = new SupportBotTraffic(definition, 5, 10, w -> 170,
        List.of(new Effect.JudgeDrop("treatment", FROM, 10, -1.0), new Effect.CostChange("treatment", FROM, 10, 1.5)), 1.0, 120_000);
    clock = new SupportBotTraffic(definition, 0, 0, w -> 0, List.of());
    try (KafkaProducer<byte[], byte[]> producer = KafkaFixture.producer(kafka.bootstrapServers())) {
      KafkaFixture.send(producer, config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId(), WireFormat.encode(definition));
      while (traffic.hasNext()) {
        SpecificRecord event = traffic.next();
        String topic = event instanceof JudgeScoreEvent ? config.get(ArbiterConfig.TOPIC_JUDGE_SCORES)
            : event instanceof OutcomeEvent ? config.get(ArbiterConfig.TOPIC_OUTCOMES) : config.get(ArbiterConfig.TOPIC_TURNS);
        producer.send(new ProducerRecord<>(topic, Events.unitId(event).getBytes(), WireFormat.encode(event)));
      }
      producer.flush();
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config, true));
    env.execute("arbiter-judge-it");
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void lateJudgeScoresAndTheCostRatioDecideAsTheyShould() {
    List<ControlCommand> commands = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DECISIONS)));
    assertThat(commands)
        .extracting(ControlCommand::getRuleId, ControlCommand::getAction, ControlCommand::getWindowStart)
        .containsExactlyInAnyOrder(
            tuple("cost-ratio", "ALERT", clock.windowStart(FROM)),
            tuple("cost-ratio", "REVIEW", clock.windowStart(FROM + 1)),
            // Scores are produced two minutes after their turns, so the drop shows two windows later.
            tuple("helpfulness", "ALERT", clock.windowStart(FROM + 2)),
            tuple("helpfulness", "PAUSE_EXPOSURE", clock.windowStart(FROM + 3)));
    ControlCommand pause = commands.stream().filter(c -> c.getAction().equals("PAUSE_EXPOSURE")).findFirst().orElseThrow();
    assertThat(pause.getObserved()).isLessThan(-0.5);
    assertThat(pause.getControlObserved()).isGreaterThan(3.5);
  }

  @Test
  void everyJudgeScoreFoundItsTurn() {
    List<WindowSummary> windows = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_METRICS)), WindowSummary.class);
    assertThat(windows).anyMatch(w -> w.getMetrics().containsKey("judge_helpfulness_mean") && w.getSegment().equals("device=mobile"));
    assertThat(windows).anyMatch(w -> w.getMetrics().containsKey("resolution_rate"));
    List<dev.arbiter.avro.DeadLetter> deadLetters = KafkaFixture.decodeAll(
        KafkaFixture.readCommitted(kafka.bootstrapServers(), config.get(ArbiterConfig.TOPIC_DEAD_LETTERS)));
    assertThat(deadLetters).extracting(dev.arbiter.avro.DeadLetter::getReason).doesNotContain("judge_without_turn", "outcome_without_turns");
  }
}
