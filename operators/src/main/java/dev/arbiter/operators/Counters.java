package dev.arbiter.operators;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Arbiter's counters in the operator's metric group "arbiter", with one counter per labelled reason. */
final class Counters {
  static final String GROUP = "arbiter";

  private final MetricGroup group;
  private final Map<String, Counter> byName = new HashMap<>();

  Counters(MetricGroup operatorGroup) {
    this.group = operatorGroup.addGroup(GROUP);
  }

  Counter counter(String name) {
    return byName.computeIfAbsent(name, group::counter);
  }

  /** A counter such as deadLetters.unknown_variant: Flink's reporters show the reason in the name. */
  void inc(String name, String label) {
    byName.computeIfAbsent(name + "." + label, key -> group.addGroup(name).counter(label)).inc();
  }
}
