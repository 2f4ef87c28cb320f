package dev.arbiter.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The windows a turn counts in: the {@code *} rollup and one per watched segment attribute. */
public final class Segments {
  public static final String ROLLUP = "*";
  /** The value of a watched attribute that a turn does not carry. */
  public static final String UNKNOWN_VALUE = "unknown";

  private Segments() {}

  public static List<String> of(Map<String, String> attributes, List<String> watched) {
    List<String> segments = new ArrayList<>(watched.size() + 1);
    segments.add(ROLLUP);
    for (String attribute : watched) {
      String value = attributes == null ? null : attributes.get(attribute);
      segments.add(attribute + "=" + (value == null || value.isEmpty() ? UNKNOWN_VALUE : value));
    }
    return segments;
  }
}
