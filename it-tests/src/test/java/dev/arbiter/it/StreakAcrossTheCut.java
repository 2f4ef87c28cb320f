package dev.arbiter.it;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.ArbiterJob;
import dev.arbiter.job.KafkaEndpoints;
import dev.arbiter.job.simulate.Effect;
import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The input of the savepoint tests: the running example with a three-window latency rule and a
 * plan that takes its looks over about eight windows; the treatment's latency doubles in windows 2
 * to 5 (ALERT at 2 and 3, PAUSE_EXPOSURE at 4). The cut, where a job is stopped with a savepoint,
 * is 40 s into window 4: window 3 has closed (watermark 5 s behind, lateness 30 s), the streak
 * stands at 2 of 3, and window 4 is open.
 */
final class StreakAcrossTheCut {
  final ExperimentDefinition definition;
  final SupportBotTraffic traffic;
  /** Every event, and last a turn 15 minutes on that moves event time past the last window. */
  final List<SpecificRecord> all = new ArrayList<>();
  final List<SpecificRecord> before;
  final List<SpecificRecord> after;

  StreakAcrossTheCut(long definitionStart) {
    ExperimentDefinition base = RunningExample.definition(definitionStart);
    List<GuardrailRule> rules = new ArrayList<>();
    for (GuardrailRule rule : base.getGuardrails()) {
      rules.add(rule.getId().equals("latency") ? GuardrailRule.newBuilder(rule).setConsecutiveWindows(3).build() : rule);
    }
    definition = ExperimentDefinition.newBuilder(base).setGuardrails(rules)
        .setPrimary(PrimaryMetricDesign.newBuilder(base.getPrimary()).setPlannedUnitsPerArm(600).build()).build();
    traffic = new SupportBotTraffic(definition, 29, 9, w -> 170,
        List.of(new Effect.LatencySpike(RunningExample.TREATMENT, 2, 6, 2.0, null)));
    traffic.forEachRemaining(all::add);
    all.add(KafkaFixture.clockTurn(definition, "tail-conversation", Events.eventTime(all.get(all.size() - 1)) + 15 * 60_000));
    long cut = traffic.windowStart(4) + 40_000;
    before = all.stream().filter(e -> Events.eventTime(e) < cut).toList();
    after = all.stream().filter(e -> Events.eventTime(e) >= cut).toList();
  }

  /** Sends the definition to the registry topic of {@code config}. */
  void register(KafkaProducer<byte[], byte[]> producer, ArbiterConfig config) {
    producer.send(new ProducerRecord<>(config.get(ArbiterConfig.TOPIC_EXPERIMENTS), definition.getExperimentId().getBytes(),
        WireFormat.encode(definition)));
    producer.flush();
  }

  /** Sends turns and outcomes to their topics of {@code config}, keyed by unit, in order. */
  static void send(KafkaProducer<byte[], byte[]> producer, ArbiterConfig config, List<SpecificRecord> events) {
    for (SpecificRecord event : events) {
      String topic = event instanceof OutcomeEvent ? config.get(ArbiterConfig.TOPIC_OUTCOMES) : config.get(ArbiterConfig.TOPIC_TURNS);
      producer.send(new ProducerRecord<>(topic, Events.unitId(event).getBytes(), WireFormat.encode(event)));
    }
    producer.flush();
  }

  /**
   * The reference both savepoint tests compare against: this build over the whole input, on the
   * topics of {@code reference} (see {@link KafkaFixture#uninterrupted}), run to the end of it.
   */
  void runUninterrupted(KafkaProducer<byte[], byte[]> producer, ArbiterConfig reference) throws Exception {
    register(producer, reference);
    send(producer, reference, all);
    StreamExecutionEnvironment whole = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(reference));
    ArbiterJob.defineWorkflow(whole, reference, KafkaEndpoints.of(reference, true));
    whole.execute("arbiter-uninterrupted");
  }
}
