package dev.arbiter.job.local;

import dev.arbiter.job.ArbiterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Arbiter's topics: the registry compacted, the rest with the given partition count. */
public final class Topics {
  private Topics() {}

  public static void create(Admin admin, ArbiterConfig config, int partitions) throws InterruptedException, ExecutionException {
    List<NewTopic> topics = new ArrayList<>();
    for (String input : config.inputTopics()) {
      topics.add(new NewTopic(input, partitions, (short) 1));
    }
    topics.add(new NewTopic(config.get(ArbiterConfig.TOPIC_EXPERIMENTS), 1, (short) 1)
        .configs(Map.of("cleanup.policy", "compact")));
    for (ArbiterConfig.Setting output : List.of(ArbiterConfig.TOPIC_METRICS, ArbiterConfig.TOPIC_DECISIONS, ArbiterConfig.TOPIC_DEAD_LETTERS)) {
      topics.add(new NewTopic(config.get(output), partitions, (short) 1));
    }
    for (NewTopic topic : topics) {
      try {
        admin.createTopics(List.of(topic)).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }
}
