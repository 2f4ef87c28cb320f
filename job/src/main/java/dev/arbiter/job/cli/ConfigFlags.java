package dev.arbiter.job.cli;

import dev.arbiter.job.ArbiterConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Offers every {@link ArbiterConfig} setting as a command-line flag {@code --<key> VALUE}. */
final class ConfigFlags {
  private ConfigFlags() {}

  static void addTo(CommandSpec spec) {
    for (ArbiterConfig.Setting setting : ArbiterConfig.all()) {
      spec.addOption(OptionSpec.builder("--" + setting.key())
          .paramLabel("VALUE")
          .type(String.class)
          .description(setting.doc() + (setting.defaultValue().isEmpty() ? "" : " Default: " + setting.defaultValue() + "."))
          .build());
    }
  }

  static ArbiterConfig read(CommandSpec spec) {
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
