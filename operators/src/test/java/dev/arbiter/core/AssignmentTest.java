package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AssignmentTest {

  @Test
  void bucketFollowsTheSpecifiedHash() throws Exception {
    // Recomputed independently: first 8 bytes of SHA-256("salt:unit-1") as an unsigned fraction of 2^64.
    byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest("salt:unit-1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.math.BigInteger high = new java.math.BigInteger(1, java.util.Arrays.copyOf(digest, 8));
    double expected = new java.math.BigDecimal(high).divide(new java.math.BigDecimal(java.math.BigInteger.ONE.shiftLeft(64)),
        java.math.MathContext.DECIMAL64).doubleValue();
    assertThat(Assignment.bucket("salt", "unit-1")).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-15));
  }

  @Test
  void unitsSplitByTheRegisteredShares() {
    int[] counts = new int[3];
    for (int i = 0; i < 100_000; i++) {
      counts[Assignment.variantIndex("exp-salt", "conv-" + i, List.of(0.1, 0.45, 0.45))]++;
    }
    // 5 standard errors of a binomial proportion at n = 100,000.
    assertThat(counts[0] / 100_000.0).isCloseTo(0.10, org.assertj.core.data.Offset.offset(5 * Math.sqrt(0.1 * 0.9 / 100_000)));
    assertThat(counts[1] / 100_000.0).isCloseTo(0.45, org.assertj.core.data.Offset.offset(5 * Math.sqrt(0.45 * 0.55 / 100_000)));
  }

  @Test
  void assignmentIsStablePerUnitAndChangesWithTheSalt() {
    assertThat(Assignment.bucket("a", "u")).isEqualTo(Assignment.bucket("a", "u"));
    assertThat(Assignment.bucket("a", "u")).isNotEqualTo(Assignment.bucket("b", "u"));
  }
}
