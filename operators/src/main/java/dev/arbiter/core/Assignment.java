package dev.arbiter.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Deterministic variant assignment: SHA-256 of {@code salt + ":" + unitId}, the first 8 bytes as
 * an unsigned integer divided by 2^64, walked through the cumulative shares in registered order.
 * Public so serving code can assign exactly as Arbiter checks.
 */
public final class Assignment {
  private static final double TWO_TO_64 = 18446744073709551616.0;

  /** One digest per thread: looking the algorithm up costs more than hashing a short id, and a digest is not thread-safe. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  });

  private Assignment() {}

  /** A point in [0, 1) that is uniform over units and fixed for a (salt, unit). */
  public static double bucket(String salt, String unitId) {
    byte[] digest = SHA_256.get().digest((salt + ":" + unitId).getBytes(StandardCharsets.UTF_8));
    long high = 0;
    for (int i = 0; i < 8; i++) {
      high = (high << 8) | (digest[i] & 0xff);
    }
    // Unsigned: add 2^64 to negative values.
    double unsigned = high >= 0 ? (double) high : (double) high + TWO_TO_64;
    return Math.min(unsigned / TWO_TO_64, Math.nextDown(1.0));
  }

  /** The index of the variant a unit belongs to, given shares in registered order. */
  public static int variantIndex(String salt, String unitId, List<Double> shares) {
    double point = bucket(salt, unitId);
    double cumulative = 0;
    for (int i = 0; i < shares.size(); i++) {
      cumulative += shares.get(i);
      if (point < cumulative) {
        return i;
      }
    }
    return shares.size() - 1;
  }
}
