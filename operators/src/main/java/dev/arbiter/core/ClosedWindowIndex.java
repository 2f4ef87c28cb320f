package dev.arbiter.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state keys of the window summaries an experiment's evaluator holds, by the close time that
 * judges them. With it a timer reads exactly its own summaries; scanning the experiment's map state
 * instead also walked past the deletions of every summary judged before (RocksDB keeps them until
 * compaction), so each timer got slower the longer the job ran.
 *
 * <p>Kept on the heap and rebuilt after a restore: an experiment counts as fully indexed only once
 * its restored summaries were read ({@link #markKnown}); until then the caller scans its state once.
 */
public final class ClosedWindowIndex {
  private final Map<String, NavigableMap<Long, List<String>>> byExperiment = new HashMap<>();
  private final Set<String> known = new HashSet<>();

  /** Records that {@code stateKey} of {@code experiment} is judged at {@code closeTime}. */
  public void add(String experiment, long closeTime, String stateKey) {
    byExperiment.computeIfAbsent(experiment, e -> new TreeMap<>()).computeIfAbsent(closeTime, t -> new ArrayList<>()).add(stateKey);
  }

  /** Whether every summary of {@code experiment} in state is indexed (false after a restore until it was scanned). */
  public boolean knowsAll(String experiment) {
    return known.contains(experiment);
  }

  public void markKnown(String experiment) {
    known.add(experiment);
  }

  /** Removes and returns the state keys of {@code experiment} judged at or before {@code time}, without duplicates. */
  public List<String> takeUntil(String experiment, long time) {
    NavigableMap<Long, List<String>> times = byExperiment.get(experiment);
    if (times == null) {
      return List.of();
    }
    NavigableMap<Long, List<String>> due = times.headMap(time, true);
    Set<String> keys = new LinkedHashSet<>();
    due.values().forEach(keys::addAll);
    due.clear();
    if (times.isEmpty()) {
      byExperiment.remove(experiment);
    }
    return new ArrayList<>(keys);
  }
}
