package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClosedWindowIndexTest {

  @Test
  void takesTheKeysDueByTheTimerOfOneExperimentOnce() {
    ClosedWindowIndex index = new ClosedWindowIndex();
    index.add("e", 100, "100|0|control|*");
    index.add("e", 100, "100|0|treatment|*");
    index.add("e", 200, "200|60|control|*");
    index.add("f", 100, "100|0|control|*");

    assertThat(index.takeUntil("e", 99)).isEmpty();
    assertThat(index.takeUntil("e", 150)).containsExactly("100|0|control|*", "100|0|treatment|*");
    assertThat(index.takeUntil("e", 150)).isEmpty();
    assertThat(index.takeUntil("e", 200)).containsExactly("200|60|control|*");
    assertThat(index.takeUntil("f", 1_000)).containsExactly("100|0|control|*");
  }

  @Test
  void aKeyIndexedTwiceIsTakenOnce() {
    // After a restore, a summary stored before the first timer is indexed when stored and again by the scan.
    ClosedWindowIndex index = new ClosedWindowIndex();
    index.add("e", 100, "100|0|control|*");
    index.add("e", 100, "100|0|control|*");
    assertThat(index.takeUntil("e", 100)).containsExactly("100|0|control|*");
  }

  @Test
  void anExperimentIsFullyKnownOnlyOnceMarked() {
    ClosedWindowIndex index = new ClosedWindowIndex();
    index.add("e", 100, "k");
    assertThat(index.knowsAll("e")).isFalse();
    index.markKnown("e");
    assertThat(index.knowsAll("e")).isTrue();
    assertThat(index.knowsAll("f")).isFalse();
  }
}
