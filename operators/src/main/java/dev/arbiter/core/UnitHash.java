package dev.arbiter.core;

/**
 * A 64-bit FNV-1a hash of a unit id, to count distinct units without keeping their ids. At 64
 * bits a collision among even ten million units in one window has a probability below 3e-6.
 */
public final class UnitHash {
  private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
  private static final long PRIME = 0x100000001b3L;

  private UnitHash() {}

  public static long of(String unitId) {
    long hash = OFFSET_BASIS;
    for (int i = 0; i < unitId.length(); i++) {
      char c = unitId.charAt(i);
      hash = (hash ^ (c & 0xff)) * PRIME;
      hash = (hash ^ (c >>> 8)) * PRIME;
    }
    return hash;
  }
}
