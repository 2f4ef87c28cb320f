package dev.arbiter.job.cli;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.job.ArbiterConfig;
import dev.arbiter.job.KafkaSecurity;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints the decisions topic as a control plane sees it: committed commands only, each applied
 * once (a command id seen before is skipped), as a readable stream.
 */
@Command(name = "decisions", mixinStandardHelpOptions = true,
    description = "Print committed commands from the decisions topic (read_committed, deduplicated on command_id).")
public final class DecisionsCommand implements Callable<Integer> {
  // The kafka.* security settings are added as flags by ArbiterCli.commandLine().

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String bootstrapServers;

  @Option(names = "--topic", paramLabel = "TOPIC", description = "Decisions topic. Default: the job's topic.decisions default.")
  String topic = ArbiterConfig.TOPIC_DECISIONS.defaultValue();

  @Option(names = "--follow", description = "Keep printing new commands until interrupted.")
  boolean follow;

  @Option(names = "--experiment", paramLabel = "ID", description = "Only this experiment's commands.")
  String experiment;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Set<String> seen = new HashSet<>();
    Properties security = KafkaSecurity.clientProperties(ConfigFlags.read(spec));
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaClients.consumer(bootstrapServers, security))) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(15)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      if (partitions.isEmpty()) {
        throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrapServers);
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (follow || partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          Decoded decoded = WireFormat.decode(record.value());
          if (decoded.record() instanceof ControlCommand command && seen.add(command.getCommandId())
              && (experiment == null || experiment.equals(command.getExperimentId()))) {
            out.println(line(command));
          }
        }
        out.flush();
      }
    }
    return 0;
  }

  static String line(ControlCommand c) {
    String window = c.getWindowStart() == null ? "" : " window " + Instant.ofEpochMilli(c.getWindowStart());
    return String.format("%-22s %s v%d %s/%s%s%s: %s [%s]", c.getAction(), c.getExperimentId(), c.getDefinitionVersion(),
        c.getVariantId(), c.getSegment(), c.getRuleId() == null ? "" : " rule " + c.getRuleId(), window,
        c.getReason() == null ? "" : c.getReason(), c.getCommandId() + (c.getDryRun() ? ", dry run" : ""));
  }
}
