package dev.arbiter.core;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.Store;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * The values of one measure (latency, time to first token) in one window, for quantiles with
 * DDSketch's relative accuracy. While they are few it keeps the values themselves, beyond
 * {@link #RAW_LIMIT} a DDSketch: most windows of a sparse experiment hold a handful of turns, and
 * creating, encoding, decoding and merging four sketches for each of them was most of what a
 * window cost. Quantiles are always those a DDSketch of the same values gives (a sketch's bins
 * depend only on which values it holds, not on their order), so they do not depend on the form.
 */
public final class SampleQuantiles {
  /** DDSketch guarantee: every reported quantile is within 1% of a true sample value. */
  public static final double RELATIVE_ACCURACY = 0.01;
  /** Bins kept per sketch; beyond it the lowest bins collapse, which leaves upper quantiles exact to the bound. */
  static final int MAX_BINS = 2048;
  /** Values kept as they are; one more turns the summary into a sketch. */
  static final int RAW_LIMIT = 64;

  private static final byte RAW = 0;
  private static final byte SKETCH = 1;
  private static final double[] NONE = new double[0];

  private double[] raw = NONE;
  private int rawCount;
  /** Null while the values are kept raw. */
  private DDSketch sketch;

  static DDSketch newSketch() {
    return DDSketches.collapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
  }

  public void accept(double value) {
    if (sketch == null && rawCount == RAW_LIMIT) {
      toSketch();
    }
    if (sketch != null) {
      sketch.accept(value);
      return;
    }
    if (rawCount == raw.length) {
      raw = Arrays.copyOf(raw, Math.min(RAW_LIMIT, Math.max(8, raw.length * 2)));
    }
    raw[rawCount++] = value;
  }

  public void mergeWith(SampleQuantiles other) {
    if (other.sketch != null) {
      toSketch();
      sketch.mergeWith(other.sketch);
      return;
    }
    for (int i = 0; i < other.rawCount; i++) {
      accept(other.raw[i]);
    }
  }

  private void toSketch() {
    if (sketch == null) {
      sketch = newSketch();
      for (int i = 0; i < rawCount; i++) {
        sketch.accept(raw[i]);
      }
      raw = NONE;
      rawCount = 0;
    }
  }

  public boolean isEmpty() {
    return getCount() == 0;
  }

  public double getCount() {
    return sketch != null ? sketch.getCount() : rawCount;
  }

  /** Whether the values are held as a sketch (for tests of the two forms). */
  boolean isSketch() {
    return sketch != null;
  }

  /**
   * Rough heap footprint, for budgets: the raw array as allocated, or a sketch's dense bins, which
   * span the range of its values (8 bytes per bin of 2% width, up to {@link #MAX_BINS}).
   */
  long estimatedHeapBytes() {
    if (sketch == null) {
      return 32 + 8L * raw.length;
    }
    return 512 + binBytes(sketch.getPositiveValueStore()) + binBytes(sketch.getNegativeValueStore());
  }

  private static long binBytes(Store store) {
    return store.isEmpty() ? 0 : 8L * (store.getMaxIndex() - store.getMinIndex() + 1);
  }

  public double[] getValuesAtQuantiles(double[] quantiles) {
    double[] sorted = sortedRawWithinOneStore();
    if (sorted == null) {
      return asSketch().getValuesAtQuantiles(quantiles);
    }
    double[] values = new double[quantiles.length];
    for (int i = 0; i < quantiles.length; i++) {
      values[i] = valueAtQuantile(sorted, quantiles[i]);
    }
    return values;
  }

  public double getValueAtQuantile(double quantile) {
    double[] sorted = sortedRawWithinOneStore();
    return sorted == null ? asSketch().getValueAtQuantile(quantile) : valueAtQuantile(sorted, quantile);
  }

  private static final IndexMapping MAPPING = newSketch().getIndexMapping();
  /** As DDSketch sets it: values at or below it count as zero. */
  private static final double MIN_INDEXED = Math.max(0, MAPPING.minIndexableValue());

  /**
   * The raw values sorted, when a sketch of them would neither collapse bins nor reject a value;
   * otherwise null, and the quantiles come from a sketch. Sorted, the value at a rank lies in the
   * bin the sketch would stop at, so the quantile is that bin's value without building the sketch
   * (which was a tenth of the window operator's time: four sketches per window it closes).
   */
  private double[] sortedRawWithinOneStore() {
    if (sketch != null || rawCount == 0) {
      return null;
    }
    double[] sorted = Arrays.copyOf(raw, rawCount);
    Arrays.sort(sorted);
    if (!(sorted[0] > MIN_INDEXED) || !(sorted[rawCount - 1] <= MAPPING.maxIndexableValue())) {
      // Zeros, negatives, NaN and values beyond the mapping take the sketch's own path.
      return null;
    }
    if ((long) MAPPING.index(sorted[rawCount - 1]) - MAPPING.index(sorted[0]) >= MAX_BINS / 2) {
      return null;
    }
    return sorted;
  }

  /** DDSketch's rule: the first bin whose cumulative count exceeds {@code quantile * (count - 1)}. */
  private static double valueAtQuantile(double[] sorted, double quantile) {
    if (quantile < 0 || quantile > 1) {
      throw new IllegalArgumentException("The quantile must be between 0 and 1.");
    }
    int rank = (int) Math.floor(quantile * (sorted.length - 1));
    return MAPPING.value(MAPPING.index(sorted[rank]));
  }

  private DDSketch asSketch() {
    if (sketch != null) {
      return sketch;
    }
    DDSketch view = newSketch();
    for (int i = 0; i < rawCount; i++) {
      view.accept(raw[i]);
    }
    return view;
  }

  /** The form tag, then the raw values or the sketch's encoding. */
  public void writeTo(DataOutput out) throws IOException {
    if (sketch == null) {
      out.writeByte(RAW);
      out.writeShort(rawCount);
      for (int i = 0; i < rawCount; i++) {
        out.writeDouble(raw[i]);
      }
    } else {
      out.writeByte(SKETCH);
      writeSketch(sketch, out);
    }
  }

  public static SampleQuantiles readFrom(DataInput in) throws IOException {
    byte form = in.readByte();
    if (form == SKETCH) {
      return readSketchOnly(in);
    }
    if (form != RAW) {
      throw new IOException("unknown SampleQuantiles form " + form);
    }
    SampleQuantiles values = new SampleQuantiles();
    int count = in.readUnsignedShort();
    values.raw = count == 0 ? NONE : new double[count];
    for (int i = 0; i < count; i++) {
      values.raw[i] = in.readDouble();
    }
    values.rawCount = count;
    return values;
  }

  /** A bare sketch encoding, without a form tag: how every summary was written before the raw form. */
  public static SampleQuantiles readSketchOnly(DataInput in) throws IOException {
    SampleQuantiles values = new SampleQuantiles();
    values.sketch = readSketch(in);
    return values;
  }

  /** Per-thread scratch space for sketch encodings. */
  private static final ThreadLocal<GrowingByteArrayOutput> SKETCH_OUT = ThreadLocal.withInitial(() -> GrowingByteArrayOutput.withInitialCapacity(1024));
  private static final ThreadLocal<byte[][]> SKETCH_IN = ThreadLocal.withInitial(() -> new byte[][] {new byte[1024]});

  private static void writeSketch(DDSketch sketch, DataOutput out) throws IOException {
    GrowingByteArrayOutput buffer = SKETCH_OUT.get();
    buffer.clear();
    sketch.encode(buffer, false);
    out.writeInt(buffer.numWrittenBytes());
    out.write(buffer.backingArray(), 0, buffer.numWrittenBytes());
  }

  private static DDSketch readSketch(DataInput in) throws IOException {
    int length = in.readInt();
    byte[][] scratch = SKETCH_IN.get();
    if (scratch[0].length < length) {
      scratch[0] = new byte[length];
    }
    in.readFully(scratch[0], 0, length);
    return DDSketch.decode(ByteArrayInput.wrap(scratch[0], 0, length), () -> new CollapsingLowestDenseStore(MAX_BINS));
  }
}
