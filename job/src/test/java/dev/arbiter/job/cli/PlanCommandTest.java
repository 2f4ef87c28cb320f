package dev.arbiter.job.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.arbiter.stats.GroupSequentialDesign;
import dev.arbiter.stats.SampleSize;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PlanCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private static double runningExampleExact() {
    return SampleSize.binary(0.60, 0.65, 0.05, 0.8, 2, SampleSize.BinaryMethod.POOLED).exactLargestArm();
  }

  private int run(String... args) {
    CommandLine cli = new CommandLine(new PlanCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void runningExampleAsJson() throws Exception {
    int code = run("--metric", "binary", "--baseline", "0.60", "--mde", "0.05", "--looks", "4",
        "--spending", "obrien-fleming", "--daily-units", "2000", "--json");
    assertThat(code).isZero();
    assertThat(err.toString()).isEmpty();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json.get("fixed_per_arm").isIntegralNumber()).isTrue();
    assertThat(json.get("fixed_per_arm").asLong()).isEqualTo(1471);
    assertThat(json.get("fixed_total").asLong()).isEqualTo(2942);
    GroupSequentialDesign design = GroupSequentialDesign.equallySpaced("obrien_fleming", 0.05, 2, 4);
    long max = json.get("max_per_arm").asLong();
    assertThat(json.get("max_per_arm").isIntegralNumber()).isTrue();
    assertThat(max).isEqualTo(design.maxPerArm(runningExampleExact(), 0.8))
        .isGreaterThan(1471);
    assertThat(json.get("days").asLong()).isEqualTo((2 * max + 1999) / 2000);
    JsonNode looks = json.get("looks");
    assertThat(looks).hasSize(4);
    double[] z = {4.3326, 2.9631, 2.3590, 2.0141};
    for (int k = 0; k < 4; k++) {
      JsonNode look = looks.get(k);
      assertThat(look.get("index").asInt()).isEqualTo(k + 1);
      assertThat(look.get("fraction").asDouble()).isEqualTo((k + 1) / 4.0);
      assertThat(look.get("critical_z").asDouble()).isCloseTo(z[k], within(1e-4));
      assertThat(look.get("cumulative_alpha").asDouble()).isCloseTo(design.cumulativeAlpha()[k], within(1e-8));
      assertThat(look.get("nominal_p").asDouble()).isCloseTo(design.nominalP()[k], within(1e-8));
      assertThat(look.get("units_per_arm").asLong()).isEqualTo((long) Math.ceil(max * (k + 1) / 4.0));
    }
  }

  @Test
  void oneLookMaximumEqualsFixed() throws Exception {
    assertThat(run("--baseline", "0.60", "--mde", "0.02", "--json")).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json.get("fixed_per_arm").asLong()).isEqualTo(9336);
    assertThat(json.get("max_per_arm").asLong()).isEqualTo(9336);
    assertThat(json.get("fixed_total").asLong()).isEqualTo(18672);
    assertThat(json.has("days")).isFalse();
  }

  @Test
  void tableIsReadable() {
    assertThat(run("--baseline", "0.60", "--mde", "0.05", "--fractions", "0.25,0.5,0.75,1")).isZero();
    assertThat(out.toString()).contains("1,471 per arm, 2,942 total").contains("critical z").contains("4.3326")
        .contains("2.0141");
  }

  @Test
  void badPowerIsOneLineNamingTheArgument() {
    int code = run("--baseline", "0.60", "--mde", "0.05", "--power", "1.2");
    assertThat(code).isNotZero();
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).contains("--power must be in (0.025, 1)").contains("1.2").doesNotContain("Exception");
  }

  @Test
  void otherBadArgumentsAreOneLineEach() {
    String[][] cases = {
        {"--baseline", "1.5", "--mde", "0.05"},
        {"--baseline", "0.60", "--mde", "0.45"},
        {"--baseline", "0.60", "--mde", "0.05", "--fractions", "0.5,0.25,1"},
        {"--baseline", "0.60", "--mde", "0.05", "--spending", "wald"},
        {"--baseline", "0.60", "--mde", "0.05", "--looks", "3", "--fractions", "0.5,1"}};
    String[] expected = {"baseline must be a rate in (0, 1)", "treated rate in (0, 1)", "fractions must increase",
        "spending must be one of", "not both"};
    for (int i = 0; i < cases.length; i++) {
      out.getBuffer().setLength(0);
      err.getBuffer().setLength(0);
      assertThat(run(cases[i])).as(expected[i]).isEqualTo(2);
      assertThat(err.toString().strip().lines()).as(expected[i]).hasSize(1);
      assertThat(err.toString()).contains(expected[i]);
    }
  }

  @Test
  void unparsableNumberIsOneLineThroughTheStandaloneCommandLine() {
    CommandLine cli = PlanCommand.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("--baseline", "sixty", "--mde", "0.05")).isEqualTo(2);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).contains("--baseline");
  }

  @Test
  void definitionGetsPlannedUnitsAndCriticalZ(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("support-bot.yaml");
    Files.writeString(file, String.join("\n",
        "experiment_id: support-bot-prompt",
        "version: 1",
        "control_variant: control",
        "variants:",
        "  - {id: control, share: 0.5}",
        "  - {id: treatment, share: 0.5}",
        "primary:",
        "  metric: resolution_rate",
        "  alpha: 0.05",
        "  power: 0.8",
        "  sides: 2",
        "  baseline: 0.60",
        "  mde: 0.05",
        "  planned_units_per_arm: 1",
        "  spending: obrien_fleming",
        "  looks:",
        "    - {fraction: 0.25}",
        "    - {fraction: 0.5}",
        "    - {fraction: 0.75}",
        "    - {fraction: 1.0}",
        ""));
    Path planned = dir.resolve("planned.yaml");
    assertThat(run("--definition", file.toString(), "--out", planned.toString())).isZero();
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(planned.toFile());
    JsonNode primary = root.get("primary");
    GroupSequentialDesign design = GroupSequentialDesign.equallySpaced("obrien_fleming", 0.05, 2, 4);
    assertThat(primary.get("planned_units_per_arm").asLong()).isEqualTo(design.maxPerArm(runningExampleExact(), 0.8));
    assertThat(primary.get("looks")).hasSize(4);
    for (int k = 0; k < 4; k++) {
      assertThat(primary.get("looks").get(k).get("critical_z").asDouble()).isCloseTo(design.criticalZ()[k], within(1e-6));
    }
    assertThat(root.get("experiment_id").asText()).isEqualTo("support-bot-prompt");
    assertThat(root.get("variants")).hasSize(2);
  }

  @Test
  void jsonDefinitionIsWrittenBackAsJsonWithCommandLineOverrides(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("def.json");
    Files.writeString(file, "{\"experiment_id\":\"x\",\"primary\":{\"metric\":\"resolution_rate\",\"baseline\":0.6,"
        + "\"mde\":0.05,\"planned_units_per_arm\":1,\"looks\":[{\"fraction\":0.5},{\"fraction\":1.0}]}}");
    assertThat(run("--definition", file.toString(), "--spending", "pocock")).isZero();
    JsonNode root = new ObjectMapper().readTree(out.toString());
    assertThat(root.at("/primary/spending").asText()).isEqualTo("pocock");
    assertThat(root.at("/primary/looks/0/critical_z").asDouble()).isCloseTo(2.157, within(5e-4));
    assertThat(root.at("/primary/looks/1/critical_z").asDouble()).isCloseTo(2.201, within(5e-4));
    assertThat(root.at("/primary/planned_units_per_arm").asLong()).isGreaterThan(1471);
  }
}
