package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.datadoghq.sketch.ddsketch.DDSketch;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Random;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class SampleQuantilesTest {
  private static final double[] QUANTILES = {0.0, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0};

  private static double[] lognormal(Random random, int n) {
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = Math.exp(7.0 + 0.6 * random.nextGaussian());
    }
    return values;
  }

  private static double[] ofSketch(double[] values) {
    DDSketch sketch = SampleQuantiles.newSketch();
    for (double v : values) {
      sketch.accept(v);
    }
    return sketch.getValuesAtQuantiles(QUANTILES);
  }

  private static SampleQuantiles of(double[] values, int from, int to) {
    SampleQuantiles q = new SampleQuantiles();
    for (int i = from; i < to; i++) {
      q.accept(values[i]);
    }
    return q;
  }

  private static SampleQuantiles roundTrip(SampleQuantiles values) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    values.writeTo(out);
    return SampleQuantiles.readFrom(new DataInputStream(new ByteArrayInputStream(out.getCopyOfBuffer())));
  }

  @Test
  void quantilesAreExactlyThoseOfASketchOfTheSameValuesInEitherForm() {
    Random random = new Random(2026);
    for (int n : new int[] {1, 2, 7, SampleQuantiles.RAW_LIMIT, SampleQuantiles.RAW_LIMIT + 1, 500}) {
      double[] values = lognormal(random, n);
      SampleQuantiles q = of(values, 0, n);
      assertThat(q.isSketch()).as("n=%d", n).isEqualTo(n > SampleQuantiles.RAW_LIMIT);
      assertThat(q.getCount()).isEqualTo(n);
      assertThat(q.getValuesAtQuantiles(QUANTILES)).as("n=%d", n).containsExactly(ofSketch(values));
    }
  }

  @Test
  void rawQuantilesAreTheSketchsOwnAtEveryRankTiesZerosAndExtremes() {
    Random random = new Random(7);
    double[] everyRank = new double[101];
    for (int i = 0; i <= 100; i++) {
      everyRank[i] = i / 100.0;
    }
    for (int trial = 0; trial < 2_000; trial++) {
      int n = 1 + random.nextInt(SampleQuantiles.RAW_LIMIT);
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        values[i] = switch (trial % 5) {
          case 0 -> Math.exp(7.0 + 0.6 * random.nextGaussian());
          case 1 -> 100 + random.nextInt(3) * 0.5; // many values in the same bins
          case 2 -> random.nextInt(4) == 0 ? 0.0 : 1 + random.nextInt(1000); // zeros take the sketch's zero count
          case 3 -> random.nextBoolean() ? 1e-300 : 1e300; // a range wider than the sketch's bins, which then collapse
          default -> random.nextInt(50) + random.nextDouble();
        };
      }
      SampleQuantiles q = of(values, 0, n);
      DDSketch sketch = SampleQuantiles.newSketch();
      for (double v : values) {
        sketch.accept(v);
      }
      assertThat(q.isSketch()).isFalse();
      assertThat(q.getValuesAtQuantiles(everyRank)).as("trial %d", trial).containsExactly(sketch.getValuesAtQuantiles(everyRank));
      assertThat(q.getValueAtQuantile(0.95)).isEqualTo(sketch.getValueAtQuantile(0.95));
    }
  }

  @Test
  void mergesAcrossFormsGiveTheQuantilesOfAllValues() throws IOException {
    Random random = new Random(7);
    double[] values = lognormal(random, 300);
    // raw + raw staying raw, raw + raw crossing the limit, raw into sketch, sketch into raw
    int[][] splits = {{10, 20}, {40, 100}, {10, 300}, {200, 210}};
    for (int[] split : splits) {
      SampleQuantiles left = of(values, 0, split[0]);
      SampleQuantiles right = of(values, split[0], split[1]);
      left.mergeWith(roundTrip(right));
      double[] all = java.util.Arrays.copyOf(values, split[1]);
      assertThat(left.getCount()).isEqualTo(split[1]);
      assertThat(left.getValuesAtQuantiles(QUANTILES)).as("split %d/%d", split[0], split[1]).containsExactly(ofSketch(all));
    }
  }

  @Test
  void bothFormsSurviveSerialization() throws IOException {
    Random random = new Random(11);
    for (int n : new int[] {0, 3, 200}) {
      double[] values = lognormal(random, n);
      SampleQuantiles copy = roundTrip(of(values, 0, n));
      assertThat(copy.getCount()).isEqualTo(n);
      assertThat(copy.isEmpty()).isEqualTo(n == 0);
      if (n > 0) {
        assertThat(copy.getValuesAtQuantiles(QUANTILES)).containsExactly(ofSketch(values));
      }
    }
  }
}
