package dev.arbiter.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.job.bench.EndToEndBench;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** User errors exit with code 2 and exactly one line on stderr, never a stack trace. */
class ArbiterCliTest {

  record Outcome(int exitCode, String err, String out) {}

  static Outcome run(String... args) {
    CommandLine cli = ArbiterCli.commandLine();
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(out));
    int exit = cli.execute(args);
    return new Outcome(exit, err.toString(), out.toString());
  }

  static void assertOneLineUserError(Outcome outcome, String expected) {
    assertThat(outcome.exitCode()).isEqualTo(ArbiterCli.USER_ERROR);
    assertThat(outcome.err().lines()).singleElement().asString().contains(expected).doesNotContain("Exception");
  }

  @Test
  void badOptionValueNamesTheOptionAndTheAllowedValues() {
    assertOneLineUserError(run("run", "--delivery", "sometimes"), "option --delivery must be one of exactly-once, at-least-once");
    assertOneLineUserError(run("run", "--checkpoint.interval-ms", "-5"), "option --checkpoint.interval-ms must be greater than 0");
    assertOneLineUserError(run("run", "--parallelism", "two"), "option --parallelism must be a whole number");
    assertOneLineUserError(run("run", "--unit-state.recent-units", "-1"), "option --unit-state.recent-units must be 0 or more");
    assertOneLineUserError(run("run", "--unit-state.recent-units", "20000000"),
        "option --unit-state.recent-units must be at most 10000000 (units held on the heap per subtask), got 20000000");
    assertOneLineUserError(run("run", "--window.recent-windows", "-5"), "option --window.recent-windows must be 0 or more");
    assertOneLineUserError(run("run", "--window.recent-windows", "2000000"),
        "option --window.recent-windows must be at most 1000000 (windows held on the heap per subtask), got 2000000");
    assertOneLineUserError(run("run", "--window.recent-windows-mb", "0"),
        "option --window.recent-windows-mb must be 1 to 65536 (MB of heap per subtask), got 0");
    assertOneLineUserError(run("run", "--state.rocksdb.write-buffer-mb", "2048"),
        "option --state.rocksdb.write-buffer-mb must be 1 to 1024 (MB per memtable), got 2048");
  }

  @Test
  void clusterStatusAndDownWithoutAClusterSayHowToStartOne(@TempDir Path dir) {
    assertOneLineUserError(run("cluster", "status", "--state-dir", dir.toString()), "no cluster is up");
    assertOneLineUserError(run("cluster", "down", "--state-dir", dir.toString()), "start one with: arbiter cluster up");
    assertOneLineUserError(run("cluster"), "name a subcommand: up, status, down");
  }

  @Test
  void unknownOptionIsOneLine() {
    assertOneLineUserError(run("run", "--bootstrap-server", "x:1"), "Unknown option");
  }

  @Test
  void everyConfigSettingIsAFlagOfRun() {
    Outcome help = run("run", "--help");
    assertThat(help.exitCode()).isZero();
    for (var setting : dev.arbiter.job.ArbiterConfig.all()) {
      assertThat(help.out()).contains("--" + setting.key());
    }
  }

  @Test
  void backtestWithMissingOrInvalidDefinitionsSaysWhatToFix(@TempDir Path dir) throws Exception {
    Path events = Files.writeString(dir.resolve("events.jsonl"), "{}\n");
    assertOneLineUserError(run("backtest", "--definitions", dir.resolve("nope.json").toString(), "--events", events.toString(),
        "--out", dir.resolve("out.jsonl").toString()), "does not exist");
    Path definition = Files.writeString(dir.resolve("d.yaml"),
        "experiment_id: e\nversion: 1\ncontrol_variant: a\nvariants: [{id: a, share: 0.5}, {id: b, share: 0.4}]\n"
            + "assignment_salt: s\nstart_time: 1\nwindow_ms: 60000\n");
    assertOneLineUserError(run("backtest", "--definitions", definition.toString(), "--events", events.toString(),
        "--out", dir.resolve("out.jsonl").toString()), "shares must sum to 1");
    Path typo = Files.writeString(dir.resolve("t.json"), "{\"experiment_id\":\"e\",\"versoin\":1}");
    assertOneLineUserError(run("backtest", "--definitions", typo.toString(), "--events", events.toString(),
        "--out", dir.resolve("out.jsonl").toString()), "unknown field 'versoin'");
  }

  @Test
  void passwordOnTheCommandLineIsRefusedWithoutEchoingIt(@TempDir Path dir) throws Exception {
    for (String command : new String[] {"run", "register", "decisions"}) {
      java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command, "--bootstrap-servers", "localhost:1",
          "--kafka.security.protocol", "SASL_PLAINTEXT", "--kafka.sasl.username", "arbiter", "--kafka.sasl.password", "hunter2-secret"));
      if (command.equals("register")) {
        args.add(Files.writeString(dir.resolve("d.json"), "{}").toString());
      }
      Outcome outcome = run(args.toArray(String[]::new));
      assertOneLineUserError(outcome, "use --kafka.sasl.password-file or --kafka.sasl.password-env");
      assertThat(outcome.err() + outcome.out()).doesNotContain("hunter2-secret");
    }
  }

  @Test
  void securityOptionsOfCliClientsAreCheckedBeforeConnecting(@TempDir Path dir) {
    assertOneLineUserError(run("decisions", "--bootstrap-servers", "localhost:1", "--kafka.security.protocol", "SASL_SSL"),
        "option --kafka.sasl.username is required with SASL_SSL");
    assertOneLineUserError(run("decisions", "--bootstrap-servers", "localhost:1", "--kafka.security.protocol", "SASL_SSL",
        "--kafka.sasl.username", "cp", "--kafka.sasl.password-file", dir.resolve("missing").toString()),
        "cannot read " + dir.resolve("missing") + " (option --kafka.sasl.password-file): no such file");
    assertThat(run("register", "--help").out()).contains("--kafka.sasl.password-file").doesNotContain("--kafka.sasl.password ");
  }

  @Test
  void demoRejectsImpossibleArguments() {
    assertOneLineUserError(run("demo", "--duration", "soon"), "not a duration");
    assertOneLineUserError(run("demo", "--rate", "0"), "--rate must be between");
  }

  @Test
  void benchRunsEveryRunItKnowsByDefault() {
    String defaults = new CommandLine(new BenchCommand()).getCommandSpec().findOption("--runs").defaultValue();
    assertThat(defaults.split(",")).containsExactlyElementsOf(EndToEndBench.RUNS);
  }

  @Test
  void benchLatencyNeedsACapacityOrTheRunThatMeasuresIt() {
    assertOneLineUserError(run("bench", "--runs", "C0", "--latency-at", "0.5"), "--latency-at needs --capacity N");
    assertOneLineUserError(run("bench", "--runs", "C0", "--warm-up-events", "10"), "--warm-up-events must be 0 or between 1000");
    assertOneLineUserError(run("bench", "--runs", "C0", "--rounds", "0"), "--rounds must be between 1 and 10, got 0");
    assertOneLineUserError(run("bench", "--runs", "C1,C5"), "--runs: unknown run 'C5'; runs are C0, C1, C1-keyed, C2,");
    assertOneLineUserError(run("bench", "--runs", "", "--latency-at", "half", "--capacity", "1000"), "'half' is not a number");
    assertOneLineUserError(run("bench", "--runs", "", "--latency-at", "0.5", "--capacity", "NaN"), "--capacity must be a finite number");
    assertOneLineUserError(run("bench", "--runs", "", "--latency-at", "0.5", "--capacity", "-5"), "--capacity must be a finite number");
    assertOneLineUserError(run("bench", "--runs", "", "--latency-at", "0.5", "--capacity", "1000", "--latency-seconds", "5"),
        "--latency-seconds must be between 20 and 3600");
  }
}
