package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommandIdTest {
  @Test
  void sameDecisionSameIdAndAnyDifferenceAnotherId() {
    String id = CommandId.of("exp", 1, "latency", "treatment", "*", 60_000L, "PAUSE_EXPOSURE");
    assertThat(CommandId.of("exp", 1, "latency", "treatment", "*", 60_000L, "PAUSE_EXPOSURE")).isEqualTo(id);
    assertThat(CommandId.of("exp", 2, "latency", "treatment", "*", 60_000L, "PAUSE_EXPOSURE")).isNotEqualTo(id);
    assertThat(CommandId.of("exp", 1, "latency", "treatment", "*", 120_000L, "PAUSE_EXPOSURE")).isNotEqualTo(id);
    // Parts are delimited, so shifting text between parts changes the id.
    assertThat(CommandId.of("ab", "c")).isNotEqualTo(CommandId.of("a", "bc"));
  }
}
