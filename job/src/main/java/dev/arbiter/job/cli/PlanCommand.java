package dev.arbiter.job.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.arbiter.stats.GroupSequentialDesign;
import dev.arbiter.stats.RatioMoments;
import dev.arbiter.stats.SampleSize;
import dev.arbiter.stats.SampleSizePlan;
import dev.arbiter.stats.Spending;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arbiter plan}: the sample size per arm and the duration of an experiment, and the
 * group-sequential boundaries to register for it.
 *
 * <pre>
 * arbiter plan --metric binary --baseline 0.60 --mde 0.05 [--relative] [--alpha 0.05] [--power 0.8]
 *   [--sides 2] [--method pooled|unpooled|cohen-h|ztest|ttest] [--shares 0.5,0.5] [--daily-units 2000]
 *   [--looks 4 | --fractions 0.25,0.5,0.75,1] [--spending obrien-fleming|pocock|hsd:-4|classic-obf|classic-pocock]
 *   [--json]
 * arbiter plan --metric continuous --sd 0.8 --mde 0.08 [--baseline 3.2 --relative] ...
 * arbiter plan --metric ratio --baseline 0.05 --den-mean 3 --num-sd 0.12 --den-sd 2 --correlation 0.6 --mde 0.1 --relative ...
 * arbiter plan --definition experiment.yaml [--out planned.yaml] [any option above to override the definition]
 * </pre>
 *
 * <p>Binary methods: {@code pooled} (default) is the normal approximation with the pooled variance
 * under H0 and the unpooled one under H1 (1,471 per arm for 0.60 vs 0.65); {@code unpooled} uses
 * the unpooled variance under both; {@code cohen-h} the arcsine effect; {@code ztest} and
 * {@code ttest} the standardized effect (p2 - p1) / sqrt(pbar (1 - pbar)) with the normal and the
 * noncentral-t power function, as statsmodels zt_ind_solve_power and TTestIndPower.
 *
 * <p>The maximum sample of a sequential design is the fixed one times the design's inflation
 * factor for the requested power; with unequal shares the per-arm numbers are the largest arm's.
 * A bad argument exits with code 2 and one line naming the argument and its allowed range.
 */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description = "Sample size, duration and registered group-sequential boundaries of an experiment.")
public final class PlanCommand implements Callable<Integer> {

  /** Exit code of a bad argument, as the rest of the arbiter command line uses. */
  static final int USER_ERROR = ArbiterCli.USER_ERROR;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper YAML = new ObjectMapper(
      new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The definition being planned, when --definition is given; its variants supply default shares. */
  private JsonNode currentRoot;

  @Option(names = "--metric", description = "binary (a rate), continuous (a unit-level mean) or ratio (e.g. cost per session); default binary.")
  String metric;

  @Option(names = "--baseline", description = "Control's expected value: a rate in (0, 1) for binary, the mean for continuous, the ratio for ratio metrics.")
  Double baseline;

  @Option(names = "--mde", description = "Minimum detectable effect: absolute, or relative to the baseline with --relative.")
  Double mde;

  @Option(names = "--relative", description = "Read --mde as a fraction of the baseline (0.05 = 5%% lift).")
  boolean relative;

  @Option(names = "--alpha", description = "Type I error, both sides together when two-sided; default 0.05.")
  Double alpha;

  @Option(names = "--power", description = "Power at the MDE; default 0.8.")
  Double power;

  @Option(names = "--sides", description = "1 or 2; default 2.")
  Integer sides;

  @Option(names = "--method", description = "Binary metrics: pooled (default), unpooled, cohen-h, ztest, ttest.")
  String method;

  @Option(names = "--shares", description = "Traffic share per arm, control first, summing to 1; default 0.5,0.5.")
  String shares;

  @Option(names = "--daily-units", description = "Eligible units a day across all arms, for the duration in days.")
  Double dailyUnits;

  @Option(names = "--looks", description = "Number of equally spaced looks; default 1 (a fixed design).")
  Integer looks;

  @Option(names = "--fractions", description = "Information fractions of the looks, increasing to 1, e.g. 0.25,0.5,0.75,1.")
  String fractions;

  @Option(names = "--spending", description = "obrien-fleming (default), pocock, hsd:<gamma>, classic-obf or classic-pocock.")
  String spending;

  @Option(names = "--json", description = "Print one JSON object instead of the table.")
  boolean json;

  @Option(names = "--sd", description = "Continuous metrics: standard deviation per unit (square root of a pilot's variance).")
  Double sd;

  @Option(names = "--den-mean", description = "Ratio metrics: mean denominator per unit (e.g. sessions per user).")
  Double denominatorMean;

  @Option(names = "--num-sd", description = "Ratio metrics: SD of the numerator per unit.")
  Double numeratorSd;

  @Option(names = "--den-sd", description = "Ratio metrics: SD of the denominator per unit.")
  Double denominatorSd;

  @Option(names = "--correlation", description = "Ratio metrics: correlation of numerator and denominator per unit; default 0.")
  Double correlation;

  @Option(names = "--definition", description = "An ExperimentDefinition (JSON or YAML) to fill with planned_units_per_arm and the looks' critical_z.")
  Path definition;

  @Option(names = "--out", description = "Where to write the updated definition (same format); default standard output.")
  Path out;

  /** A PlanCommand command line whose parse errors are also one line, for running it on its own. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new PlanCommand());
    cli.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("plan: " + ex.getMessage());
      err.flush();
      return USER_ERROR;
    });
    return cli;
  }

  @Override
  public Integer call() {
    PrintWriter outWriter = spec.commandLine().getOut();
    try {
      JsonNode root = definition == null ? null : readDefinition(definition);
      Plan plan = plan(root == null ? null : primaryOf(root));
      if (root != null) {
        fill((ObjectNode) root, plan);
        String text = isYaml(definition) ? YAML.writeValueAsString(root) : JSON.writeValueAsString(root) + "\n";
        if (out != null) {
          Files.writeString(out, text, StandardCharsets.UTF_8);
        } else {
          outWriter.print(text);
        }
      } else if (json) {
        outWriter.println(JSON.writeValueAsString(toJson(plan)));
      } else {
        outWriter.print(table(plan));
      }
      outWriter.flush();
      return 0;
    } catch (IllegalArgumentException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("plan: " + e.getMessage());
      err.flush();
      return USER_ERROR;
    } catch (IOException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("plan: " + e.getMessage().lines().findFirst().orElse("I/O error"));
      err.flush();
      return USER_ERROR;
    }
  }

  /** Everything the outputs need. */
  record Plan(String metric, String method, double baseline, double treated, double alpha, double power, int sides,
      double[] shares, SampleSizePlan fixed, GroupSequentialDesign design, double inflation, long maxPerArm,
      long maxTotal, long[] unitsAtLooks, Long days) {}

  private Plan plan(JsonNode primary) {
    double a = alpha != null ? alpha : number(primary, "alpha", 0.05);
    double pw = power != null ? power : number(primary, "power", 0.8);
    int s = sides != null ? sides : (int) number(primary, "sides", 2);
    if (s != 1 && s != 2) {
      throw new IllegalArgumentException("--sides must be 1 or 2, got " + s);
    }
    if (!(a > 0 && a < 0.5)) {
      throw new IllegalArgumentException("--alpha must be in (0, 0.5), got " + a);
    }
    if (!(pw > a / s && pw < 1)) {
      throw new IllegalArgumentException("--power must be in (" + a / s + ", 1), got " + pw);
    }
    Double base = baseline != null ? baseline : nullableNumber(primary, "baseline");
    Double effect = mde != null ? mde : nullableNumber(primary, "mde");
    boolean rel = mde != null && relative;
    if (base == null && !(metricName().equals("continuous") && !rel)) {
      throw new IllegalArgumentException("--baseline is required for --metric " + metricName());
    }
    if (effect == null) {
      throw new IllegalArgumentException("--mde is required: the minimum detectable effect, non-zero");
    }
    double[] armShares = shares != null ? parseList("--shares", shares) : definitionShares();
    String spendingName = spending != null ? spending : text(primary, "spending", "obrien_fleming");
    Spending sp = Spending.parse(spendingName);
    double[] t = lookFractions(primary);

    SampleSizePlan fixed;
    double treated;
    String methodName;
    switch (metricName()) {
      case "binary": {
        SampleSize.BinaryMethod m = SampleSize.BinaryMethod.parse(method == null ? "pooled" : method);
        if (!(base > 0 && base < 1)) {
          throw new IllegalArgumentException("--baseline must be a rate in (0, 1), got " + base);
        }
        treated = SampleSize.treatedRate(base, effect, rel);
        fixed = SampleSize.binary(base, treated, a, pw, s, m, armShares);
        methodName = m.cliName();
        break;
      }
      case "continuous": {
        if (sd == null) {
          throw new IllegalArgumentException("--sd is required for --metric continuous: a positive standard deviation");
        }
        double b = base == null ? Double.NaN : base;
        fixed = SampleSize.continuous(b, sd, effect, rel, a, pw, s, armShares);
        treated = rel ? b * (1 + effect) : b + effect;
        methodName = "normal";
        break;
      }
      case "ratio": {
        if (denominatorMean == null || numeratorSd == null || denominatorSd == null) {
          throw new IllegalArgumentException("--metric ratio needs --den-mean, --num-sd and --den-sd (and optionally --correlation)");
        }
        RatioMoments moments = new RatioMoments(base * denominatorMean, denominatorMean, numeratorSd, denominatorSd,
            correlation == null ? 0 : correlation);
        fixed = SampleSize.ratio(moments, effect, rel, a, pw, s, armShares);
        treated = rel ? base * (1 + effect) : base + effect;
        methodName = "delta-method";
        break;
      }
      default:
        throw new IllegalArgumentException("--metric must be binary, continuous or ratio, got '" + metric + "'");
    }
    GroupSequentialDesign design = GroupSequentialDesign.of(sp, a, s, t);
    double inflation = design.inflationFactor(pw);
    long maxPerArm = design.maxPerArm(fixed.exactLargestArm(), pw);
    long maxTotal = 0;
    for (double exact : fixed.exactPerArm()) {
      maxTotal += design.maxPerArm(exact, pw);
    }
    Long days = null;
    if (dailyUnits != null) {
      if (!(dailyUnits > 0) || dailyUnits.isInfinite()) {
        throw new IllegalArgumentException("--daily-units must be positive, got " + dailyUnits);
      }
      days = SampleSize.days(maxTotal, dailyUnits);
    }
    return new Plan(metricName(), methodName, base == null ? Double.NaN : base, treated, a, pw, s, armShares, fixed,
        design, inflation, maxPerArm, maxTotal, design.unitsPerArmAtLooks(maxPerArm), days);
  }

  private String metricName() {
    return metric == null ? "binary" : metric.trim().toLowerCase(Locale.ROOT);
  }

  private double[] lookFractions(JsonNode primary) {
    if (looks != null && fractions != null) {
      throw new IllegalArgumentException("give --looks or --fractions, not both");
    }
    if (looks != null) {
      if (looks < 1 || looks > 50) {
        throw new IllegalArgumentException("--looks must be in [1, 50], got " + looks);
      }
      return GroupSequentialDesign.equalFractions(looks);
    }
    double[] t;
    if (fractions != null) {
      t = parseList("--fractions", fractions);
    } else if (primary != null && primary.path("looks").isArray() && primary.path("looks").size() > 0) {
      JsonNode list = primary.get("looks");
      t = new double[list.size()];
      for (int i = 0; i < t.length; i++) {
        JsonNode f = list.get(i).get("fraction");
        if (f == null || !f.isNumber()) {
          throw new IllegalArgumentException("primary.looks[" + i + "].fraction must be a number in (0, 1]");
        }
        t[i] = f.asDouble();
      }
    } else {
      t = new double[] {1.0};
    }
    double previous = 0;
    for (double v : t) {
      if (!(v > previous) || v > 1 + 1e-9) {
        throw new IllegalArgumentException("--fractions must increase strictly within (0, 1] and end at 1, got "
            + join(t));
      }
      previous = v;
    }
    if (Math.abs(t[t.length - 1] - 1) > 1e-9) {
      throw new IllegalArgumentException("--fractions must increase strictly within (0, 1] and end at 1, got " + join(t));
    }
    return t;
  }

  private double[] definitionShares() {
    if (currentRoot == null || !currentRoot.path("variants").isArray() || currentRoot.get("variants").size() < 2) {
      return new double[] {0.5, 0.5};
    }
    JsonNode variants = currentRoot.get("variants");
    String control = currentRoot.path("control_variant").asText("");
    List<Double> ordered = new ArrayList<>();
    for (JsonNode v : variants) {
      if (control.equals(v.path("id").asText())) {
        ordered.add(0, v.path("share").asDouble());
      } else {
        ordered.add(v.path("share").asDouble());
      }
    }
    return ordered.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private JsonNode readDefinition(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--definition " + file + " is not a readable file");
    }
    JsonNode root;
    try {
      root = (isYaml(file) ? YAML : JSON).readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("--definition " + file + " is not valid " + (isYaml(file) ? "YAML" : "JSON")
          + ": " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("--definition " + file + " must hold one ExperimentDefinition object");
    }
    currentRoot = root;
    return root;
  }

  private static JsonNode primaryOf(JsonNode root) {
    JsonNode primary = root.get("primary");
    if (primary == null || !primary.isObject()) {
      throw new IllegalArgumentException("the definition has no primary metric design (primary) to plan");
    }
    return primary;
  }

  /** Writes the plan into the definition: planned units, the looks with their critical z, and the design it used. */
  private static void fill(ObjectNode root, Plan plan) {
    ObjectNode primary = (ObjectNode) root.get("primary");
    primary.put("alpha", plan.alpha());
    primary.put("power", plan.power());
    primary.put("sides", plan.sides());
    if (plan.metric().equals("binary") || !Double.isNaN(plan.baseline())) {
      primary.put("baseline", plan.baseline());
      primary.put("mde", round(plan.treated() - plan.baseline(), 12));
    }
    primary.put("planned_units_per_arm", plan.maxPerArm());
    primary.put("spending", plan.design().spending().canonicalName());
    double[] t = plan.design().fractions();
    double[] z = plan.design().criticalZ();
    JsonNode existing = primary.get("looks");
    ArrayNode looks = NODES.arrayNode();
    for (int k = 0; k < t.length; k++) {
      ObjectNode look = existing != null && existing.isArray() && existing.size() == t.length && existing.get(k).isObject()
          ? (ObjectNode) existing.get(k) : NODES.objectNode();
      look.put("fraction", t[k]);
      look.put("critical_z", round(z[k], 6));
      looks.add(look);
    }
    primary.set("looks", looks);
  }

  private static ObjectNode toJson(Plan plan) {
    ObjectNode o = NODES.objectNode();
    o.put("metric", plan.metric());
    o.put("method", plan.method());
    if (!Double.isNaN(plan.baseline())) {
      o.put("baseline", plan.baseline());
      o.put("treated", round(plan.treated(), 12));
    }
    o.put("alpha", plan.alpha());
    o.put("power", plan.power());
    o.put("sides", plan.sides());
    ArrayNode shares = o.putArray("shares");
    for (double s : plan.shares()) {
      shares.add(s);
    }
    o.put("fixed_per_arm", plan.fixed().largestArm());
    ArrayNode perArm = o.putArray("fixed_per_arm_by_arm");
    for (long n : plan.fixed().perArm()) {
      perArm.add(n);
    }
    o.put("fixed_total", plan.fixed().total());
    o.put("spending", plan.design().spending().canonicalName());
    o.put("inflation_factor", round(plan.inflation(), 6));
    o.put("max_per_arm", plan.maxPerArm());
    o.put("max_total", plan.maxTotal());
    if (plan.days() != null) {
      o.put("days", plan.days());
    }
    ArrayNode looks = o.putArray("looks");
    double[] t = plan.design().fractions();
    double[] z = plan.design().criticalZ();
    double[] cumulative = plan.design().cumulativeAlpha();
    double[] nominal = plan.design().nominalP();
    for (int k = 0; k < t.length; k++) {
      ObjectNode look = looks.addObject();
      look.put("index", k + 1);
      look.put("fraction", t[k]);
      look.put("critical_z", round(z[k], 6));
      look.put("cumulative_alpha", round(cumulative[k], 9));
      look.put("nominal_p", round(nominal[k], 9));
      look.put("units_per_arm", plan.unitsAtLooks()[k]);
    }
    return o;
  }

  private static String table(Plan plan) {
    StringBuilder b = new StringBuilder();
    String sidesText = plan.sides() == 2 ? "two-sided" : "one-sided";
    b.append(String.format(Locale.ROOT, "Metric        %s (%s)%n", plan.metric(), plan.method()));
    if (!Double.isNaN(plan.baseline())) {
      b.append(String.format(Locale.ROOT, "Effect        %.4f -> %.4f (%+.4f)%n", plan.baseline(), plan.treated(),
          plan.treated() - plan.baseline()));
    }
    b.append(String.format(Locale.ROOT, "Design        alpha %s %s, power %s, shares %s%n", trim(plan.alpha()), sidesText,
        trim(plan.power()), join(plan.shares())));
    b.append(String.format(Locale.ROOT, "Fixed sample  %,d per arm, %,d total%n", plan.fixed().largestArm(),
        plan.fixed().total()));
    GroupSequentialDesign d = plan.design();
    b.append(String.format(Locale.ROOT, "Sequential    %d look%s, %s spending, inflation %.4f -> %,d per arm, %,d total%n",
        d.looks(), d.looks() == 1 ? "" : "s", d.spending().canonicalName(), plan.inflation(), plan.maxPerArm(),
        plan.maxTotal()));
    if (plan.days() != null) {
      b.append(String.format(Locale.ROOT, "Duration      %,d day%s at most%n", plan.days(), plan.days() == 1 ? "" : "s"));
    }
    b.append(String.format(Locale.ROOT, "%n%4s  %8s  %9s  %10s  %10s  %16s%n", "look", "fraction", "units/arm",
        "critical z", "nominal p", "cumulative alpha"));
    double[] t = d.fractions();
    double[] z = d.criticalZ();
    double[] nominal = d.nominalP();
    double[] cumulative = d.cumulativeAlpha();
    for (int k = 0; k < t.length; k++) {
      b.append(String.format(Locale.ROOT, "%4d  %8.3f  %,9d  %10.4f  %10.6f  %16.6f%n", k + 1, t[k],
          plan.unitsAtLooks()[k], z[k], nominal[k], cumulative[k]));
    }
    return b.toString();
  }

  private static double[] parseList(String option, String text) {
    String[] parts = text.split(",");
    double[] values = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        values[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " must be a comma-separated list of numbers, got '" + text + "'");
      }
    }
    return values;
  }

  private static double number(JsonNode primary, String field, double fallback) {
    Double v = nullableNumber(primary, field);
    return v == null ? fallback : v;
  }

  private static Double nullableNumber(JsonNode primary, String field) {
    if (primary == null || primary.get(field) == null || primary.get(field).isNull()) {
      return null;
    }
    JsonNode v = primary.get(field);
    if (!v.isNumber()) {
      throw new IllegalArgumentException("primary." + field + " must be a number, got " + v);
    }
    return v.asDouble();
  }

  private static String text(JsonNode primary, String field, String fallback) {
    if (primary == null || primary.get(field) == null || primary.get(field).isNull()) {
      return fallback;
    }
    return primary.get(field).asText();
  }

  private static boolean isYaml(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  private static double round(double x, int digits) {
    if (!Double.isFinite(x)) {
      return x;
    }
    return new java.math.BigDecimal(x).setScale(digits, java.math.RoundingMode.HALF_EVEN).doubleValue();
  }

  private static String trim(double x) {
    return java.math.BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
  }

  private static String join(double[] values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : ",").append(trim(v));
    }
    return b.toString();
  }
}
