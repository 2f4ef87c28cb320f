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

  /**
   * The counters of {@code name} labelled by {@code key}, found by the label's value alone: for a
   * label counted per event, where {@link #inc} would build a lookup string every time.
   */
  Family family(String name, String key) {
    return new Family(name, key);
  }

  /** Counters of one name and label key, by label value; the same counters {@link #labelled} returns. */
  final class Family {
    private final String name;
    private final String key;
    private final Map<String, Counter> byValue = new HashMap<>();

    private Family(String name, String key) {
      this.name = name;
      this.key = key;
    }

    void inc(String value) {
      Counter counter = byValue.get(value);
      if (counter == null) {
        counter = labelled(name, key, value);
        byValue.put(value, counter);
      }
      counter.inc();
    }
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
