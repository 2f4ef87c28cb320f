package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.avro.CacheState;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonFormTest {

  static final String TURN = "{\"type\":\"turn\",\"experiment_id\":\"support-bot-prompt-v2\",\"variant_id\":\"treatment\","
      + "\"unit_id\":\"conv-48291\",\"conversation_id\":\"conv-48291\",\"request_id\":\"req-9\",\"turn_index\":1,"
      + "\"event_time\":1763800000000,\"segments\":{\"device\":\"mobile\"},\"model_name\":\"llama-4-scout\","
      + "\"prompt_version\":\"v2.1\",\"latency_ms\":1100,\"ttft_ms\":240,\"prompt_tokens\":120,\"completion_tokens\":250,"
      + "\"cost_usd\":0.0021,\"error\":false,\"empty_response\":false,\"safety_flag\":false,\"cache_state\":\"warm\"}";

  static final String DEFINITION = "{\"experiment_id\":\"support-bot-prompt-v2\",\"version\":1,\"control_variant\":\"control\","
      + "\"variants\":[{\"id\":\"control\",\"share\":0.5},{\"id\":\"treatment\",\"share\":0.5}],"
      + "\"randomization_unit\":\"conversation\",\"assignment_salt\":\"support-bot-prompt-v2\",\"start_time\":1763800000000,"
      + "\"window_ms\":60000,\"allowed_lateness_ms\":30000,\"segments\":[\"device\"],\"dry_run\":false,"
      + "\"primary\":{\"metric\":\"resolution_rate\",\"alpha\":0.05,\"power\":0.8,\"baseline\":0.60,\"mde\":0.05,"
      + "\"planned_units_per_arm\":1471,\"spending\":\"obrien_fleming\",\"looks\":[{\"fraction\":0.25},{\"fraction\":0.5},"
      + "{\"fraction\":0.75},{\"fraction\":1.0}]},\"guardrails\":[{\"id\":\"latency\",\"metric\":\"latency_p95_ms\","
      + "\"scope\":\"treatment\",\"direction\":\"max\",\"threshold\":3000,\"min_samples\":50,\"consecutive_windows\":2,"
      + "\"action\":\"PAUSE_EXPOSURE\"}]}";

  @Test
  void readsTheIssueTurnExample() throws Exception {
    TurnEvent turn = JsonForm.fromJson(JsonForm.JSON.readTree(TURN), TurnEvent.getClassSchema(), Set.of("type"), true);
    assertThat(turn.getLatencyMs()).isEqualTo(1100.0);
    assertThat(turn.getTtftMs()).isEqualTo(240.0);
    assertThat(turn.getCacheState()).isEqualTo(CacheState.warm);
    assertThat(turn.getSegments()).containsEntry("device", "mobile");
    assertThat(turn.getUserFeedback()).isNull();
  }

  @Test
  void readsTheIssueDefinitionExampleAndRoundTrips() throws Exception {
    ExperimentDefinition definition =
        JsonForm.fromJson(JsonForm.JSON.readTree(DEFINITION), ExperimentDefinition.getClassSchema(), Set.of(), true);
    assertThat(definition.getGuardrails()).hasSize(1);
    assertThat(definition.getGuardrails().get(0).getSegments()).containsExactly("*");
    assertThat(definition.getPrimary().getLooks()).hasSize(4);
    ExperimentDefinition again = JsonForm.fromJson(
        JsonForm.toJson(definition), ExperimentDefinition.getClassSchema(), Set.of(), true);
    assertThat(again).isEqualTo(definition);
  }

  @Test
  void yamlIsAcceptedToo() throws Exception {
    String yaml = "experiment_id: e\nversion: 2\ncontrol_variant: a\nvariants:\n  - {id: a, share: 0.5}\n  - {id: b, share: 0.5}\n"
        + "assignment_salt: s\nstart_time: 1\nwindow_ms: 60000\n";
    ExperimentDefinition definition =
        JsonForm.fromJson(JsonForm.YAML.readTree(yaml), ExperimentDefinition.getClassSchema(), Set.of(), true);
    assertThat(definition.getVersion()).isEqualTo(2);
    assertThat(definition.getGuardrails()).isEmpty();
  }

  @Test
  void namesTheMissingField() {
    assertThatThrownBy(() -> JsonForm.fromJson(
            JsonForm.JSON.readTree("{\"experiment_id\":\"e\"}"), TurnEvent.getClassSchema(), Set.of(), false))
        .hasMessageContaining("missing required field 'variant_id'");
  }

  @Test
  void namesTheMistypedField() {
    String bad = TURN.replace("\"latency_ms\":1100", "\"latency_ms\":\"slow\"");
    assertThatThrownBy(() -> JsonForm.fromJson(JsonForm.JSON.readTree(bad), TurnEvent.getClassSchema(), Set.of("type"), true))
        .hasMessageContaining("field 'latency_ms' must be a number");
  }

  @Test
  void strictModeCatchesATypoInADefinition() {
    String typo = DEFINITION.replace("\"min_samples\"", "\"min_sample\"");
    assertThatThrownBy(() -> JsonForm.fromJson(
            JsonForm.JSON.readTree(typo), ExperimentDefinition.getClassSchema(), Set.of(), true))
        .hasMessageContaining("unknown field 'guardrails[0].min_sample'");
  }
}
