package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecentUnitsTest {
  static final long TTL = 60_000;

  static UnitState unit(String variant) {
    return new UnitState(variant, new String[] {"*"});
  }

  /** What a write-back wrote, in order. */
  static Map<String, UnitState> writeBack(RecentUnits recent, long now) throws Exception {
    Map<String, UnitState> written = new LinkedHashMap<>();
    assertThat(recent.writeBack(written::put, now)).isEqualTo(written.size());
    return written;
  }

  @Test
  void aChangedUnitIsServedFromTheHeapAndWrittenOnceAtTheWriteBack() throws Exception {
    RecentUnits recent = new RecentUnits(10, TTL);
    UnitState a = unit("control");
    recent.changed("a", a, 0);
    a.turns++;
    recent.changed("a", a, 1);
    assertThat(recent.get("a", 2)).isSameAs(a);
    assertThat(recent.dirty()).isEqualTo(1);

    assertThat(writeBack(recent, 3)).containsExactly(Map.entry("a", a));
    assertThat(recent.dirty()).isZero();
    assertThat(recent.get("a", 4)).as("still held after the write-back, now clean").isSameAs(a);
    assertThat(writeBack(recent, 5)).as("nothing changed since").isEmpty();
  }

  @Test
  void aUnitReadFromStateIsHeldButNotWrittenUntilItChanges() throws Exception {
    RecentUnits recent = new RecentUnits(10, TTL);
    UnitState stored = unit("treatment");
    assertThat(recent.get("b", 0)).as("not held yet: the caller reads state").isNull();
    recent.loaded("b", stored, 0);
    assertThat(recent.get("b", 1)).isSameAs(stored);
    assertThat(writeBack(recent, 2)).isEmpty();
    recent.changed("b", stored, 3);
    assertThat(writeBack(recent, 4)).containsOnlyKeys("b");
  }

  @Test
  void holdingMoreThanTheCapacityDropsTheLeastRecentlyTouchedAndWritesTheChangedOnesAmongThem() throws Exception {
    RecentUnits recent = new RecentUnits(4, TTL);
    UnitState u0 = unit("control");
    UnitState u2 = unit("control");
    recent.changed("u0", u0, 0);
    recent.changed("u1", unit("control"), 1);
    writeBack(recent, 2);
    recent.changed("u2", u2, 3);
    recent.changed("u3", unit("control"), 4);
    recent.changed("u0", u0, 5);
    assertThat(recent.full()).isFalse();
    recent.changed("u4", unit("treatment"), 6);
    assertThat(recent.full()).isTrue();

    Map<String, UnitState> written = new LinkedHashMap<>();
    assertThat(recent.dropOldest(written::put)).isEqualTo(1);
    assertThat(written).as("u1 and u2 touched longest ago are dropped; only u2 had changed since its last write")
        .containsExactly(Map.entry("u2", u2));
    assertThat(recent.size()).as("three quarters of the capacity kept").isEqualTo(3);
    assertThat(recent.get("u1", 7)).isNull();
    assertThat(recent.get("u2", 7)).isNull();
    assertThat(recent.get("u0", 7)).as("touched again lately, kept").isSameAs(u0);
    assertThat(recent.dirty()).as("u3, u0 and u4 still to be written").isEqualTo(3);
  }

  @Test
  void aUnitUntouchedForTheTimeToLiveIsForgottenAsItsStoredCopyIs() throws Exception {
    RecentUnits recent = new RecentUnits(10, TTL);
    recent.changed("a", unit("control"), 1_000);
    assertThat(recent.get("a", 1_000 + TTL - 1)).isNotNull();
    assertThat(recent.get("a", 1_000 + TTL)).isNull();
    assertThat(recent.dirty()).as("a forgotten change is not written: its older stored copy has expired too").isZero();
    assertThat(writeBack(recent, 1_000 + TTL)).isEmpty();

    recent.changed("b", unit("control"), 0);
    writeBack(recent, 30_000);
    assertThat(recent.get("b", TTL + 1)).as("the write-back renewed it, as it renews the stored copy").isNotNull();
  }

  @Test
  void aReplacedUnitIsCountedAsOneChange() throws Exception {
    RecentUnits recent = new RecentUnits(10, TTL);
    recent.changed("a", unit("control"), 0);
    UnitState replacement = unit("treatment");
    recent.changed("a", replacement, 1);
    assertThat(recent.dirty()).isEqualTo(1);
    assertThat(writeBack(recent, 2)).containsExactly(Map.entry("a", replacement));
  }

  @Test
  void capacityMustHoldAUnit() {
    assertThatThrownBy(() -> new RecentUnits(0, TTL)).hasMessageContaining("at least 1");
  }
}
