package dev.arbiter.job.cli;

import dev.arbiter.job.ArbiterConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Offers every {@link ArbiterConfig} setting as a command-line flag {@code --<key> VALUE}. */
final class ConfigFlags {
  /** Accepted only to refuse it: a password on a command line shows in the process list and the shell history. */
  static final String PLAIN_PASSWORD_FLAG = "--kafka.sasl.password";

  private ConfigFlags() {}

  /** Every setting: the job's options. */
  static void addTo(CommandSpec spec) {
    addTo(spec, setting -> true);
  }

  /** The {@code kafka.*} settings only: how a CLI client connects to a secured Kafka. */
  static void addSecurityTo(CommandSpec spec) {
    addTo(spec, setting -> setting.key().startsWith("kafka."));
  }

  private static void addTo(CommandSpec spec, Predicate<ArbiterConfig.Setting> which) {
    for (ArbiterConfig.Setting setting : ArbiterConfig.all()) {
      if (which.test(setting)) {
        spec.addOption(OptionSpec.builder("--" + setting.key())
            .paramLabel("VALUE")
            .type(String.class)
            .description(setting.doc() + (setting.defaultValue().isEmpty() ? "" : " Default: " + setting.defaultValue() + "."))
            .build());
      }
    }
    spec.addOption(OptionSpec.builder(PLAIN_PASSWORD_FLAG).paramLabel("VALUE").type(String.class).hidden(true).build());
  }

  static ArbiterConfig read(CommandSpec spec) {
    OptionSpec plainPassword = spec.findOption(PLAIN_PASSWORD_FLAG);
    if (plainPassword != null && plainPassword.getValue() != null) {
      throw new IllegalArgumentException(PLAIN_PASSWORD_FLAG + " is not accepted (a command line is visible to other users);"
          + " use --" + ArbiterConfig.SASL_PASSWORD_FILE.key() + " or --" + ArbiterConfig.SASL_PASSWORD_ENV.key());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (ArbiterConfig.Setting setting : ArbiterConfig.all()) {
      OptionSpec option = spec.findOption("--" + setting.key());
      if (option != null && option.getValue() != null) {
        values.put(setting.key(), option.getValue());
      }
    }
    return new ArbiterConfig(values).validated();
  }
}
