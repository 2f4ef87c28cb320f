package dev.arbiter.job.cli;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.DefinitionFiles;
import dev.arbiter.job.KafkaSecurity;
import dev.arbiter.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Validates definitions as the registry will and publishes them to the compacted registry topic,
 * keyed by experiment id, with the registered boundaries filled in.
 */
@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Validate experiment definitions (JSON or YAML) and publish them to the registry topic.")
public final class RegisterCommand implements Callable<Integer> {
  // The kafka.* security settings are added as flags by ArbiterCli.commandLine().

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String bootstrapServers;

  @Option(names = "--topic", paramLabel = "TOPIC", description = "Registry topic. Default: the job's topic.experiments default.")
  String topic = ArbiterConfig.TOPIC_EXPERIMENTS.defaultValue();

  @Option(names = "--dry-run", description = "Validate and print what would be registered, publish nothing.")
  boolean validateOnly;

  @Parameters(paramLabel = "FILE", arity = "1", description = "A definition file (one object or a list) or a directory of them.")
  Path file;

  @Override
  public Integer call() throws Exception {
    ArbiterConfig connection = ConfigFlags.read(spec);
    List<ExperimentDefinition> definitions = DefinitionFiles.load(file);
    var out = spec.commandLine().getOut();
    if (validateOnly) {
      definitions.forEach(d -> out.println("valid: " + describe(d)));
      out.flush();
      return 0;
    }
    Properties security = KafkaSecurity.clientProperties(connection);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producer(bootstrapServers, security))) {
      for (ExperimentDefinition definition : definitions) {
        RecordMetadata written = producer.send(new ProducerRecord<>(topic,
            definition.getExperimentId().getBytes(StandardCharsets.UTF_8), WireFormat.encode(definition))).get(60, TimeUnit.SECONDS);
        out.println("registered: " + describe(definition) + " -> " + topic + "-" + written.partition() + "@" + written.offset());
      }
    }
    out.flush();
    return 0;
  }

  private static String describe(ExperimentDefinition d) {
    String looks = d.getPrimary() == null ? "no primary metric"
        : d.getPrimary().getMetric() + " with looks at " + d.getPrimary().getLooks().stream()
            .map(l -> String.format("%.2f (z %.4f)", l.getFraction(), l.getCriticalZ())).toList();
    return d.getExperimentId() + " v" + d.getVersion() + ", " + d.getVariants().size() + " variants, "
        + d.getGuardrails().size() + " guardrail(s), " + looks + (d.getDryRun() ? ", dry run" : "");
  }

}
