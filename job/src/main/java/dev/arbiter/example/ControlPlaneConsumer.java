package dev.arbiter.example;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.wire.Decoded;
import dev.arbiter.wire.WireFormat;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An example control plane: how a feature-flag or routing service consumes
 * {@code experiments.decisions}. Copy it and replace {@link ControlPlane} with your flag update.
 *
 * <ul>
 *   <li>{@code isolation.level=read_committed}: only commands whose Flink checkpoint completed are
 *       seen; the aborted attempts of a restarted job stay invisible.</li>
 *   <li>Idempotency on {@code command_id}: the same decision always carries the same id, so a
 *       command delivered twice (a replay, at-least-once mode, or this consumer restarting before
 *       it committed its offsets) is applied once. Keep the applied ids in the same store as the
 *       change they caused (one database transaction), so the two cannot disagree.</li>
 *   <li>Offsets are committed after the batch is applied: a crash re-delivers, never skips.</li>
 *   <li>Commands with {@code dry_run} are logged, not applied.</li>
 * </ul>
 */
public final class ControlPlaneConsumer implements AutoCloseable {

  /** What the control plane does with a command: pause exposure, roll back, set traffic shares, ... */
  public interface ControlPlane {
    void apply(ControlCommand command);

    default void dryRun(ControlCommand command) {}
  }

  /** Remembers which command ids were applied; in production a table with a unique key. */
  public interface AppliedCommands {
    /** Records the id; false when it was applied before. */
    boolean markApplied(String commandId);
  }

  /** Applied ids in memory, the newest {@code capacity} of them: enough for an example and a test. */
  public static AppliedCommands inMemory(int capacity) {
    Set<String> ids = Collections.newSetFromMap(new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    });
    return ids::add;
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ControlPlane plane;
  private final AppliedCommands applied;
  private long duplicates;

  public ControlPlaneConsumer(String bootstrapServers, String groupId, String topic, ControlPlane plane, AppliedCommands applied) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumer = new KafkaConsumer<>(props);
    this.plane = plane;
    this.applied = applied;
    consumer.subscribe(List.of(topic));
  }

  /** Polls once, applies each new command, then commits the offsets; returns how many were applied. */
  public int pollOnce(Duration timeout) {
    int count = 0;
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
      Decoded decoded = WireFormat.decode(record.value());
      if (!(decoded.record() instanceof ControlCommand command)) {
        continue;
      }
      if (command.getDryRun()) {
        plane.dryRun(command);
      } else if (applied.markApplied(command.getCommandId())) {
        plane.apply(command);
        count++;
      } else {
        duplicates++;
      }
    }
    consumer.commitSync();
    return count;
  }

  /** Commands seen again and skipped. */
  public long duplicates() {
    return duplicates;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
