package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.junit.jupiter.api.Test;

/** Properties of the production graph that savepoints and delivery depend on, checked without running it. */
class ArbiterJobGraphTest {

  @Test
  void everyOperatorHasAStableUidAndEveryUidIsUsed() throws Exception {
    List<String> used = new java.util.ArrayList<>();
    // The pre-aggregator exists only when switched on, so both shapes together must use every uid.
    for (String preAggregation : List.of("off", "on")) {
      StreamGraph graph = productionGraph(ArbiterConfig.defaults().with(ArbiterConfig.PRE_AGGREGATION, preAggregation));
      // A node without a uid gets a generated id that changes with the graph's shape; its state would not restore.
      assertThat(graph.getStreamNodes())
          .allSatisfy(node -> assertThat(node.getTransformationUID()).as(node.getOperatorName()).isNotBlank());
      List<String> uids = graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).toList();
      assertThat(uids).doesNotHaveDuplicates();
      used.addAll(uids);
    }
    assertThat(used).containsAll(declaredUids());
  }

  @ParameterizedTest
  @ValueSource(strings = {"exactly-once", "at-least-once"})
  void everyKafkaSinkUsesTheConfiguredDeliveryGuarantee(String delivery) throws Exception {
    Endpoints ends = KafkaEndpoints.of(ArbiterConfig.defaults().with(ArbiterConfig.DELIVERY, delivery).validated());
    DeliveryGuarantee expected = delivery.equals("exactly-once") ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE;
    List<Sink<?>> sinks = List.of(ends.decisions(), ends.metrics(), ends.verdicts(), ends.looks(), ends.deadLetters());
    assertThat(sinks).allSatisfy(sink -> assertThat(guarantee(sink)).isEqualTo(expected));
  }

  @Test
  void rocksDbStateHasBloomFiltersForItsPointLookups() {
    // Unit and request-id lookups mostly miss; without filters every miss reads every SST file.
    assertThat(ArbiterJob.flinkConfiguration(ArbiterConfig.defaults()).get(RocksDBConfigurableOptions.USE_BLOOM_FILTER)).isTrue();
    assertThat(RocksDBConfigurableOptions.USE_BLOOM_FILTER.defaultValue()).isFalse();
  }

  @Test
  void rocksDbMemtablesTakeTheWriteBufferOption() {
    assertThat(ArbiterJob.flinkConfiguration(ArbiterConfig.defaults()).get(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE))
        .isEqualTo(MemorySize.ofMebiBytes(16)).isNotEqualTo(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE.defaultValue());
    ArbiterConfig larger = ArbiterConfig.defaults().with(ArbiterConfig.ROCKSDB_WRITE_BUFFER_MB, 64);
    assertThat(ArbiterJob.flinkConfiguration(larger).get(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE)).isEqualTo(MemorySize.ofMebiBytes(64));
  }

  private static StreamGraph productionGraph(ArbiterConfig config) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ArbiterJob.flinkConfiguration(config));
    ArbiterJob.defineWorkflow(env, config, KafkaEndpoints.of(config));
    return env.getStreamGraph();
  }

  private static List<String> declaredUids() throws IllegalAccessException {
    List<String> uids = new java.util.ArrayList<>();
    for (Field field : ArbiterJob.Uid.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        uids.add((String) field.get(null));
      }
    }
    assertThat(uids).hasSizeGreaterThan(10);
    return uids;
  }

  /** KafkaSink keeps its guarantee in a private field and offers no getter. */
  private static DeliveryGuarantee guarantee(Sink<?> sink) throws ReflectiveOperationException {
    assertThat(sink).isInstanceOf(KafkaSink.class);
    Field field = KafkaSink.class.getDeclaredField("deliveryGuarantee");
    field.setAccessible(true);
    return (DeliveryGuarantee) field.get(sink);
  }
}
