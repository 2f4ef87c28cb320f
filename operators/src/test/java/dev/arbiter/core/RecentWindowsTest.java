package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentWindowsTest {

  static WindowStats window(long start) {
    return new WindowStats(start, 60_000, 0, 1);
  }

  /** What a write-back or drop wrote, as "key@start". */
  static List<String> written(RecentWindows recent, boolean drop) throws Exception {
    List<String> written = new ArrayList<>();
    RecentWindows.Writer writer = (key, start, stats) -> written.add(key + "@" + start);
    int count = drop ? recent.dropOldest(writer) : recent.writeBack(writer);
    assertThat(count).isEqualTo(written.size());
    return written;
  }

  @Test
  void aWindowOpenedAndClosedBetweenWriteBacksIsNeverWrittenNorRemoved() throws Exception {
    RecentWindows recent = new RecentWindows(10);
    WindowStats stats = window(0);
    recent.changed("k", 0, stats);
    assertThat(recent.get("k", 0)).isSameAs(stats);
    assertThat(recent.release("k", 0)).as("state never had it").isFalse();
    assertThat(written(recent, false)).isEmpty();
    assertThat(recent.size()).isZero();
  }

  @Test
  void writeBackWritesEachChangedWindowOnceAndThenItsCopyMustBeRemoved() throws Exception {
    RecentWindows recent = new RecentWindows(10);
    recent.changed("k", 0, window(0));
    recent.changed("k", 60_000, window(60_000));
    assertThat(written(recent, false)).containsExactlyInAnyOrder("k@0", "k@60000");
    assertThat(written(recent, false)).as("nothing changed since").isEmpty();
    recent.changed("k", 0, recent.get("k", 0));
    assertThat(written(recent, false)).containsExactly("k@0");
    assertThat(recent.release("k", 60_000)).as("written once, so state has a copy").isTrue();
  }

  @Test
  void aWindowReadFromStateIsCleanUntilChanged() throws Exception {
    RecentWindows recent = new RecentWindows(10);
    WindowStats stats = window(0);
    recent.loaded("k", 0, stats);
    assertThat(written(recent, false)).isEmpty();
    recent.changed("k", 0, stats);
    assertThat(written(recent, false)).containsExactly("k@0");
    assertThat(recent.release("k", 0)).isTrue();
  }

  @Test
  void aFullHeapDropsTheKeysTouchedLongestAgoWritingOnlyTheirChangedWindows() throws Exception {
    RecentWindows recent = new RecentWindows(4);
    recent.changed("k1", 0, window(0));
    recent.changed("k1", 60_000, window(60_000));
    recent.loaded("k2", 0, window(0));
    recent.changed("k3", 0, window(0));
    assertThat(recent.full()).isFalse();
    recent.changed("k3", 60_000, window(60_000));
    assertThat(recent.full()).isTrue();
    recent.get("k1", 0);

    // Oldest first: k2 (unchanged, not written), then k3, until three windows or fewer are held.
    assertThat(written(recent, true)).containsExactlyInAnyOrder("k3@0", "k3@60000");
    assertThat(recent.size()).isEqualTo(2);
    assertThat(recent.get("k2", 0)).isNull();
    assertThat(recent.get("k3", 0)).isNull();
    assertThat(recent.startsOf("k1")).containsExactlyInAnyOrder(0L, 60_000L);
    assertThat(recent.release("k3", 0)).as("not held: its copy is in state").isTrue();
  }

  @Test
  void aWindowIsHeldAsOneObject() {
    RecentWindows recent = new RecentWindows(10);
    recent.changed("k", 0, window(0));
    assertThatThrownBy(() -> recent.changed("k", 0, window(0))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new RecentWindows(0)).isInstanceOf(IllegalArgumentException.class);
  }

  /** A window of {@code units} distinct units with one turn each. */
  static WindowStats windowOf(long start, int units) {
    WindowStats stats = window(start);
    for (int i = 0; i < units; i++) {
      Observation turn = new Observation();
      turn.requestId = "r" + i;
      turn.unitHash = i * 0x9E3779B97F4A7C15L;
      turn.latencyMs = 100 + i;
      stats.add(turn, false);
    }
    return stats;
  }

  @Test
  void theByteBudgetDropsLargeWindowsLongBeforeTheCount() throws Exception {
    long large = windowOf(0, 3_000).estimatedHeapBytes();
    assertThat(large).as("a window of 3,000 units").isBetween(30_000L, 60_000L);
    RecentWindows recent = new RecentWindows(1_000, 3 * large + large / 2);
    recent.changed("k1", 0, windowOf(0, 3_000));
    recent.changed("k2", 0, windowOf(0, 3_000));
    recent.changed("k3", 0, windowOf(0, 3_000));
    assertThat(recent.full()).isFalse();
    recent.changed("k4", 0, windowOf(0, 3_000));
    assertThat(recent.full()).as("4 windows of 1,000 allowed, but over the bytes").isTrue();
    assertThat(written(recent, true)).containsExactly("k1@0", "k2@0");
    assertThat(recent.size()).isEqualTo(2);
    assertThat(recent.bytes()).isLessThanOrEqualTo((3 * large + large / 2) * 3 / 4);
  }

  @Test
  void aWindowThatGrowsInPlaceCountsItsNewSizeAndReleasingItFreesIt() throws Exception {
    RecentWindows recent = new RecentWindows(10, 1 << 20);
    WindowStats growing = window(0);
    recent.changed("k", 0, growing);
    long small = recent.bytes();
    growing.merge(windowOf(0, 3_000));
    recent.changed("k", 0, growing);
    assertThat(recent.bytes()).isEqualTo(growing.estimatedHeapBytes()).isGreaterThan(small + 24_000);
    recent.release("k", 0);
    assertThat(recent.bytes()).isZero();
  }
}
