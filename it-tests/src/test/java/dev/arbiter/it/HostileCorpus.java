package dev.arbiter.it;

import dev.arbiter.avro.ControlBaseline;
import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.GuardrailRule;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.avro.PrimaryMetricDesign;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.avro.VariantShare;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.wire.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;

/**
 * The hostile-input corpus: every kind of bad record Arbiter must survive, each with the topic it
 * is written to and the dead-letter reason (and a phrase of the detail) it must get. Records are
 * made when they are sent, from the valid traffic sent just before them: event times are that
 * traffic's newest (so a record that is refused late cannot move the watermark of the valid
 * traffic), and repeats repeat a record that was really sent, on the same key.
 */
final class HostileCorpus {
  static final long YEAR_MS = 365L * 24 * 3600 * 1000;
  static final int TEN_MIB = 10 * 1024 * 1024;

  enum Topic { TURNS, OUTCOMES, JUDGE_SCORES, EXPERIMENTS }

  /** What the corpus can build on: the valid experiment and the valid records sent last. */
  record Context(ExperimentDefinition definition, TurnEvent lastTurn, OutcomeEvent lastOutcome, JudgeScoreEvent lastJudge,
      long eventTime) {}

  /** One Kafka record to write: key and value (either may be null). */
  record Record(String key, byte[] value) {}

  /** One kind of bad record and the dead letter it must become. */
  record Entry(String kind, Topic topic, String reason, String detail, Function<Context, Record> make) {}

  private HostileCorpus() {}

  static List<Entry> entries() {
    List<Entry> all = new ArrayList<>();
    all.addAll(wire());
    all.addAll(turns());
    all.addAll(outcomesAndJudgeScores());
    all.addAll(definitions());
    return all;
  }

  /** Records that are not Arbiter's wire format, or not a whole record of it. */
  static List<Entry> wire() {
    return List.of(
        new Entry("json instead of avro", Topic.TURNS, "not_single_object_avro", "single-object", c -> raw(resource("turn-as-json.json"))),
        new Entry("random bytes", Topic.TURNS, "not_single_object_avro", "single-object", c -> raw(resource("random-bytes.bin"))),
        new Entry("confluent schema-registry framing", Topic.TURNS, "not_single_object_avro", "single-object",
            c -> raw(confluentFramed(c.lastTurn()))),
        new Entry("empty value", Topic.TURNS, "empty_record", "no value bytes", c -> raw(new byte[0])),
        new Entry("tombstone (null value)", Topic.TURNS, "empty_record", "no value bytes", c -> new Record("tombstone", null)),
        new Entry("header without body", Topic.TURNS, "truncated", "ends before", c -> raw(Arrays.copyOf(WireFormat.encode(c.lastTurn()), 10))),
        new Entry("truncated record", Topic.TURNS, "truncated", "ends before", c -> {
          byte[] whole = WireFormat.encode(c.lastTurn());
          return raw(Arrays.copyOf(whole, whole.length / 2));
        }),
        new Entry("unknown schema fingerprint", Topic.TURNS, "unknown_schema", "not a known Arbiter schema", c -> {
          byte[] bytes = WireFormat.encode(c.lastTurn());
          ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x0123456789ABCDEFL);
          return raw(bytes);
        }),
        new Entry("negative length prefix", Topic.TURNS, "malformed_avro", "negative", c -> {
          byte[] bytes = WireFormat.encode(c.lastTurn());
          bytes[10] = 0x09; // zig-zag -5 as the length of experiment_id
          return raw(bytes);
        }),
        new Entry("output record on an input topic", Topic.TURNS, "unexpected_record_type", "output record",
            c -> raw(WireFormat.encode(ControlCommand.newBuilder().setCommandId("forged").setExperimentId(c.definition().getExperimentId())
                .setDefinitionVersion(1).setVariantId("treatment").setSegment("*").setAction("ROLLBACK").setEventTime(c.eventTime()).build()))),
        new Entry("definition on an event topic", Topic.TURNS, "unexpected_record_type", "registry topic",
            c -> raw(WireFormat.encode(ExperimentDefinition.newBuilder(c.definition()).setVersion(9).build()))),
        new Entry("invalid utf-8 in unit_id", Topic.TURNS, "invalid_utf8", "not valid UTF-8",
            c -> raw(replace(turn(c, t -> t.setUnitId("conv-@@@@")), "@@@@", new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0x80}))),
        new Entry("invalid utf-8 in a segment name", Topic.TURNS, "invalid_utf8", "not valid UTF-8",
            c -> raw(replace(turn(c, t -> t.setSegments(Map.of("dev@@@", "mobile"))), "@@@", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}))));
  }

  /** Turns that decode but must not count. */
  static List<Entry> turns() {
    return List.of(
        new Entry("empty experiment_id", Topic.TURNS, "missing_field", "'experiment_id'", c -> encoded(turn(c, t -> t.setExperimentId("")))),
        new Entry("empty variant_id", Topic.TURNS, "missing_field", "'variant_id'", c -> encoded(turn(c, t -> t.setVariantId("")))),
        new Entry("blank unit_id", Topic.TURNS, "missing_field", "'unit_id'", c -> encoded(turn(c, t -> t.setUnitId("   ")))),
        new Entry("empty request_id", Topic.TURNS, "missing_field", "'request_id'", c -> encoded(turn(c, t -> t.setRequestId("")))),
        new Entry("negative latency", Topic.TURNS, "invalid_field", "'latency_ms'", c -> encoded(turn(c, t -> t.setLatencyMs(-12)))),
        new Entry("NaN latency", Topic.TURNS, "invalid_field", "'latency_ms' is NaN", c -> encoded(turn(c, t -> t.setLatencyMs(Double.NaN)))),
        new Entry("infinite latency", Topic.TURNS, "invalid_field", "'latency_ms' is Infinity",
            c -> encoded(turn(c, t -> t.setLatencyMs(Double.POSITIVE_INFINITY)))),
        new Entry("NaN time to first token", Topic.TURNS, "invalid_field", "'ttft_ms'", c -> encoded(turn(c, t -> t.setTtftMs(Double.NaN)))),
        new Entry("negative cost", Topic.TURNS, "invalid_field", "'cost_usd'", c -> encoded(turn(c, t -> t.setCostUsd(-0.5)))),
        new Entry("NaN cost", Topic.TURNS, "invalid_field", "'cost_usd' is NaN", c -> encoded(turn(c, t -> t.setCostUsd(Double.NaN)))),
        new Entry("infinite cost", Topic.TURNS, "invalid_field", "'cost_usd' is Infinity",
            c -> encoded(turn(c, t -> t.setCostUsd(Double.POSITIVE_INFINITY)))),
        new Entry("tokens above any context window", Topic.TURNS, "invalid_field", "'completion_tokens'",
            c -> encoded(turn(c, t -> t.setCompletionTokens(2_000_000_000)))),
        new Entry("negative prompt tokens", Topic.TURNS, "invalid_field", "'prompt_tokens'", c -> encoded(turn(c, t -> t.setPromptTokens(-1)))),
        new Entry("feedback out of range", Topic.TURNS, "invalid_field", "'user_feedback'", c -> encoded(turn(c, t -> t.setUserFeedback(7)))),
        new Entry("event time zero", Topic.TURNS, "invalid_field", "'event_time'", c -> encoded(turn(c, t -> t.setEventTime(0)))),
        new Entry("event time three years ago", Topic.TURNS, "implausible_event_time", "Kafka timestamp",
            c -> encoded(turn(c, t -> t.setEventTime(c.eventTime() - 3 * YEAR_MS)))),
        new Entry("event time five years ahead", Topic.TURNS, "implausible_event_time", "Kafka timestamp",
            c -> encoded(turn(c, t -> t.setEventTime(c.eventTime() + 5 * YEAR_MS)))),
        new Entry("unit_id of 300 characters", Topic.TURNS, "invalid_field", "300 characters", c -> encoded(turn(c, t -> t.setUnitId("u".repeat(300))))),
        new Entry("10 MiB request_id", Topic.TURNS, "invalid_field", TEN_MIB + " characters",
            c -> encoded(turn(c, t -> t.setRequestId("r".repeat(TEN_MIB))))),
        new Entry("40 segment attributes", Topic.TURNS, "invalid_field", "at most 32 attributes", c -> {
          Map<String, String> many = new HashMap<>();
          for (int i = 0; i < 40; i++) {
            many.put("a" + i, "v");
          }
          return encoded(turn(c, t -> t.setSegments(many)));
        }),
        new Entry("variant the experiment does not have", Topic.TURNS, "unknown_variant", "'treatment-b' is not registered",
            c -> encoded(turn(c, t -> t.setVariantId("treatment-b")))),
        new Entry("before the experiment's start", Topic.TURNS, "before_experiment_start", "start_time",
            c -> encoded(turn(c, t -> t.setEventTime(c.definition().getStartTime() - 3_600_000)))),
        new Entry("unregistered experiment", Topic.TURNS, "unknown_experiment", "is not registered",
            c -> encoded(turn(c, t -> t.setExperimentId("never-registered")))),
        new Entry("older schema (TurnEvent v1) of an unregistered experiment", Topic.TURNS, "unknown_experiment", "is not registered",
            c -> new Record("v1", olderSchema(turn(c, t -> t.setExperimentId("still-on-v1"))))),
        // A v1 re-encoding of a turn already counted decodes, passes every check, and is refused only as the repeat it is.
        new Entry("older schema (TurnEvent v1) repeating a counted turn", Topic.TURNS, "duplicate_event", "already counted",
            c -> new Record(c.lastTurn().getUnitId(), olderSchema(c.lastTurn()))),
        new Entry("the same turn twice", Topic.TURNS, "duplicate_event", "already counted",
            c -> new Record(c.lastTurn().getUnitId(), WireFormat.encode(c.lastTurn()))));
  }

  static List<Entry> outcomesAndJudgeScores() {
    return List.of(
        new Entry("the same outcome twice", Topic.OUTCOMES, "duplicate_event", "already has an outcome",
            c -> new Record(c.lastOutcome().getUnitId(), WireFormat.encode(c.lastOutcome()))),
        new Entry("outcome of a unit without turns", Topic.OUTCOMES, "outcome_without_turns", "no matching turn",
            c -> encoded(outcome(c, o -> o.setUnitId("ghost-unit")))),
        new Entry("outcome with empty unit_id", Topic.OUTCOMES, "missing_field", "'unit_id'", c -> encoded(outcome(c, o -> o.setUnitId("")))),
        new Entry("outcome with empty experiment_id", Topic.OUTCOMES, "missing_field", "'experiment_id'",
            c -> encoded(outcome(c, o -> o.setExperimentId("")))),
        new Entry("outcome four years ahead", Topic.OUTCOMES, "implausible_event_time", "Kafka timestamp",
            c -> encoded(outcome(c, o -> o.setEventTime(c.eventTime() + 4 * YEAR_MS)))),
        new Entry("outcome of an unregistered experiment", Topic.OUTCOMES, "unknown_experiment", "is not registered",
            c -> encoded(outcome(c, o -> o.setExperimentId("never-registered")))),
        new Entry("judge score for an unknown request", Topic.JUDGE_SCORES, "judge_without_turn", "no matching turn",
            c -> encoded(judge(c, j -> j.setRequestId("no-such-request").setUnitId("ghost-unit")))),
        new Entry("judge score without unit_id", Topic.JUDGE_SCORES, "judge_without_unit", "no unit_id",
            c -> encoded(judge(c, j -> j.setUnitId(null)))),
        new Entry("the same judge score twice", Topic.JUDGE_SCORES, "duplicate_event", "already counted",
            c -> new Record(c.lastJudge().getUnitId(), WireFormat.encode(c.lastJudge()))),
        new Entry("judge score NaN", Topic.JUDGE_SCORES, "invalid_field", "finite number",
            c -> encoded(judge(c, j -> j.setScores(Map.of("helpfulness", Double.NaN))))),
        new Entry("judge score without axes", Topic.JUDGE_SCORES, "invalid_field", "1 to 32 axes", c -> encoded(judge(c, j -> j.setScores(Map.of())))),
        new Entry("judge axis with spaces", Topic.JUDGE_SCORES, "invalid_field", "letters, digits or _",
            c -> encoded(judge(c, j -> j.setScores(Map.of("help fulness", 4.0))))),
        new Entry("judge score two years old", Topic.JUDGE_SCORES, "implausible_event_time", "Kafka timestamp",
            c -> encoded(judge(c, j -> j.setEventTime(c.eventTime() - 2 * YEAR_MS)))));
  }

  /** The registry topic: one definition per distinct check of the registry, and records that are no definition. */
  static List<Entry> definitions() {
    List<Entry> all = new ArrayList<>(List.of(
        new Entry("random bytes on the registry", Topic.EXPERIMENTS, "not_single_object_avro", "single-object",
            c -> raw(resource("random-bytes.bin"))),
        new Entry("a turn on the registry", Topic.EXPERIMENTS, "unexpected_record_type", "ExperimentDefinition records only",
            c -> raw(WireFormat.encode(c.lastTurn()))),
        new Entry("newer invalid version of the running experiment", Topic.EXPERIMENTS, "invalid_definition", "shares must sum to 1",
            c -> new Record(c.definition().getExperimentId(), WireFormat.encode(ExperimentDefinition.newBuilder(c.definition()).setVersion(2)
                .setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("treatment", 0.9))).build())))));
    invalid(all, "empty experiment_id", "experiment_id must be 1 to", d -> d.setExperimentId(""));
    invalid(all, "version 0", "version must be 1 or more", d -> d.setVersion(0));
    invalid(all, "one variant", "at least two variants", d -> d.setVariants(List.of(new VariantShare("control", 1.0))));
    invalid(all, "repeated variant", "empty or repeated",
        d -> d.setVariants(List.of(new VariantShare("control", 0.5), new VariantShare("control", 0.5))).setControlVariant("control"));
    invalid(all, "zero share", "must be in (0, 1]",
        d -> d.setVariants(List.of(new VariantShare("control", 1.0), new VariantShare("treatment", 0.0))));
    invalid(all, "shares sum to 0.8", "shares must sum to 1",
        d -> d.setVariants(List.of(new VariantShare("control", 0.4), new VariantShare("treatment", 0.4))));
    invalid(all, "control not a variant", "control_variant 'baseline'", d -> d.setControlVariant("baseline"));
    invalid(all, "start time 0", "start_time must be a positive", d -> d.setStartTime(0));
    invalid(all, "negative burn-in", "burn_in_ms must be 0 or more", d -> d.setBurnInMs(-1));
    invalid(all, "10 ms windows", "window_ms must be at least", d -> d.setWindowMs(10));
    invalid(all, "negative allowed lateness", "allowed_lateness_ms must be 0 or more", d -> d.setAllowedLatenessMs(-5));
    invalid(all, "segment attribute with a space", "is not an attribute name", d -> d.setSegments(List.of("dev ice")));
    invalid(all, "segment attribute twice", "is listed twice", d -> d.setSegments(List.of("device", "device")));
    invalid(all, "secondary metric not a rate", "secondary_metrics", d -> d.setSecondaryMetrics(List.of("latency_p95_ms")));
    invalid(all, "unknown allocation", "allocation must be fixed or thompson", d -> d.setAllocation("random"));
    invalid(all, "thompson on a continuous primary", "allocation thompson needs a rate",
        d -> d.setAllocation("thompson").setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setMetric("cost_per_unit_usd").build()));
    invalid(all, "primary not testable sequentially", "cannot be tested sequentially",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setMetric("latency_p95_ms").build()));
    invalid(all, "alpha 1.5", "primary.alpha must be in (0, 1)", d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setAlpha(1.5).build()));
    invalid(all, "power 0", "primary.power must be in (0, 1)", d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setPower(0).build()));
    invalid(all, "three-sided", "primary.sides must be 1 or 2", d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setSides(3).build()));
    invalid(all, "no planned units", "planned_units_per_arm must be 1 or more",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setPlannedUnitsPerArm(0).build()));
    invalid(all, "no looks", "must hold at least one look", d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setLooks(List.of()).build()));
    invalid(all, "looks out of order", "must increase within (0, 1]",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setLooks(List.of(look(0.5), look(0.25), look(1.0))).build()));
    invalid(all, "last look before the end", "the last look's fraction must be 1",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setLooks(List.of(look(0.5), look(0.9))).build()));
    invalid(all, "futility above the efficacy boundary", "futility_z must be a finite number below",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setLooks(List.of(new LookSpec(0.5, 3.0, 3.5), look(1.0))).build()));
    invalid(all, "critical z that its spending does not give", "does not match",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setLooks(List.of(new LookSpec(0.5, 1.0, null), look(1.0))).build()));
    invalid(all, "unknown spending function", "primary:",
        d -> d.setPrimary(PrimaryMetricDesign.newBuilder(d.getPrimary()).setSpending("astrology").build()));
    invalid(all, "rule id repeated", ".id 'latency' is empty or repeated", d -> d.setGuardrails(List.of(rule(r -> r), rule(r -> r))));
    invalid(all, "rule on an unknown metric", ".metric 'vibes' is unknown", d -> d.setGuardrails(List.of(rule(r -> r.setMetric("vibes")))));
    invalid(all, "rule with an unknown scope", ".scope 'galaxy'", d -> d.setGuardrails(List.of(rule(r -> r.setScope("galaxy")))));
    invalid(all, "rule direction sideways", ".direction must be max or min", d -> d.setGuardrails(List.of(rule(r -> r.setDirection("sideways")))));
    invalid(all, "rule threshold NaN", ".threshold must be a finite number", d -> d.setGuardrails(List.of(rule(r -> r.setThreshold(Double.NaN)))));
    invalid(all, "severity ladder not harsher", ".severities[0].threshold must be harsher",
        d -> d.setGuardrails(List.of(rule(r -> r.setSeverities(List.of(new dev.arbiter.avro.SeverityLevel(2000.0, "ROLLBACK")))))));
    invalid(all, "threshold from an unknown control statistic", ".threshold.from_control must be one of",
        d -> d.setGuardrails(List.of(rule(r -> r.setThreshold(new ControlBaseline("p42", 30))))));
    invalid(all, "non-inferiority without margin", ".margin must be a positive number",
        d -> d.setGuardrails(List.of(rule(r -> r.setMetric("safety_pass_rate").setScope("non_inferiority").setDirection("min").setThreshold(0.0)))));
    invalid(all, "negative min samples", ".min_samples must be 0 or more", d -> d.setGuardrails(List.of(rule(r -> r.setMinSamples(-1)))));
    invalid(all, "zero consecutive windows", ".consecutive_windows must be 1 or more",
        d -> d.setGuardrails(List.of(rule(r -> r.setConsecutiveWindows(0)))));
    invalid(all, "zero recovery windows", ".recovery_windows must be 1 or more", d -> d.setGuardrails(List.of(rule(r -> r.setRecoveryWindows(0)))));
    invalid(all, "lower-case action", ".action 'pause' must be an upper-case name", d -> d.setGuardrails(List.of(rule(r -> r.setAction("pause")))));
    invalid(all, "rule without segments", "must name at least one segment", d -> d.setGuardrails(List.of(rule(r -> r.setSegments(List.of())))));
    invalid(all, "rule on an undeclared segment", ".segments: 'region=eu'", d -> d.setGuardrails(List.of(rule(r -> r.setSegments(List.of("region=eu"))))));
    return all;
  }

  private static void invalid(List<Entry> all, String kind, String detail, UnaryOperator<ExperimentDefinition.Builder> breakIt) {
    String id = "hostile-definition-" + (all.size() + 1);
    all.add(new Entry("definition: " + kind, Topic.EXPERIMENTS, "invalid_definition", detail, c -> {
      ExperimentDefinition.Builder builder = ExperimentDefinition.newBuilder(RunningExample.definition(c.definition().getStartTime()))
          .setExperimentId(id).setAssignmentSalt(id);
      ExperimentDefinition broken = breakIt.apply(builder).build();
      return new Record(broken.getExperimentId(), WireFormat.encode(broken));
    }));
  }

  private static LookSpec look(double fraction) {
    return new LookSpec(fraction, null, null);
  }

  private static GuardrailRule rule(UnaryOperator<GuardrailRule.Builder> change) {
    GuardrailRule base = RunningExample.definition(1).getGuardrails().get(1);
    return change.apply(GuardrailRule.newBuilder(base)).build();
  }

  private static TurnEvent turn(Context c, UnaryOperator<TurnEvent.Builder> change) {
    TurnEvent.Builder builder = TurnEvent.newBuilder(c.lastTurn())
        .setUnitId("hostile-" + Long.toHexString(c.eventTime())).setRequestId("hostile-req").setEventTime(c.eventTime());
    return change.apply(builder).build();
  }

  private static OutcomeEvent outcome(Context c, UnaryOperator<OutcomeEvent.Builder> change) {
    return change.apply(OutcomeEvent.newBuilder(c.lastOutcome()).setEventTime(c.eventTime())).build();
  }

  private static JudgeScoreEvent judge(Context c, UnaryOperator<JudgeScoreEvent.Builder> change) {
    return change.apply(JudgeScoreEvent.newBuilder(c.lastJudge()).setEventTime(c.eventTime())).build();
  }

  private static Record raw(byte[] value) {
    return new Record("hostile", value);
  }

  private static Record encoded(SpecificRecord record) {
    return new Record("hostile", WireFormat.encode(record));
  }

  private static byte[] resource(String name) {
    try (InputStream in = HostileCorpus.class.getResourceAsStream("/hostile/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource hostile/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The framing of Confluent's schema registry (magic 0, a 4-byte schema id, then the body): another wire format. */
  private static byte[] confluentFramed(TurnEvent turn) {
    byte[] single = WireFormat.encode(turn);
    ByteBuffer framed = ByteBuffer.allocate(5 + single.length - 10);
    framed.put((byte) 0).putInt(42).put(single, 10, single.length - 10);
    return framed.array();
  }

  /** The bytes of the encoded record with the single occurrence of {@code marker} overwritten by {@code bytes}. */
  private static byte[] replace(SpecificRecord record, String marker, byte[] bytes) {
    byte[] encoded = WireFormat.encode(record);
    byte[] find = marker.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + find.length <= encoded.length; i++) {
      if (Arrays.equals(encoded, i, i + find.length, find, 0, find.length)) {
        System.arraycopy(bytes, 0, encoded, i, bytes.length);
        return encoded;
      }
    }
    throw new IllegalStateException("marker " + marker + " not in the record");
  }

  /** The turn as a producer still on TurnEvent v1 writes it (avro-history/TurnEvent-v1.avsc). */
  static byte[] olderSchema(TurnEvent turn) {
    Schema v1 = WireFormat.SchemaHistory.olderSchemas().stream().filter(s -> s.getName().equals("TurnEvent")).findFirst().orElseThrow();
    GenericRecord old = new GenericData.Record(v1);
    for (Schema.Field field : v1.getFields()) {
      Object value = turn.get(field.name());
      if (value instanceof Enum<?> symbol) {
        value = new GenericData.EnumSymbol(field.schema(), symbol.name());
      }
      old.put(field.name(), value);
    }
    try {
      return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
