package dev.arbiter.operators;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Arbiter's counters in the operator's metric group "arbiter". A labelled counter lives in a
 * key-value group (Flink's {@code addGroup(key, value)}), so the Prometheus reporter exports one
 * metric with the label, e.g. {@code flink_taskmanager_job_task_operator_arbiter_reason_deadLetters{reason="unknown_variant"}},
 * and the Flink UI shows it as {@code arbiter.reason.unknown_variant.deadLetters}.
 */
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

  /** Counts one occurrence of {@code name} with the label {@code key=value}. */
  void inc(String name, String key, String value) {
    labelled(name, key, value).inc();
  }

  /**
   * Creates the labelled counter at zero, so dashboards and alerts find it before the first
   * occurrence (a rare event such as a late turn may never happen on a healthy stream).
   */
  Counter labelled(String name, String key, String value) {
    return byName.computeIfAbsent(name + "\u0000" + key + "\u0000" + value, id -> group.addGroup(key, value).counter(name));
  }

  /** A record sent to the dead-letter output, by its reason code. */
  void deadLetter(String reason) {
    inc("deadLetters", "reason", reason);
  }

  /** A command emitted, by its action. */
  void command(String action) {
    inc("commands", "action", action);
  }
}
