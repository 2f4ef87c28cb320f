package dev.arbiter.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import dev.arbiter.core.Observation;
import dev.arbiter.core.SampleQuantiles;
import dev.arbiter.core.WindowStats;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * The window side: accumulating a turn, the quantile sketch, merging partial aggregates (the
 * local pre-aggregation's combine) and the serialized round trip that RocksDB pays per access.
 */
public class WindowBenchmark extends HotPathBenchmark {
  private Observation[] turns;
  private double[] latencies;
  private WindowStats accumulating;
  private WindowStats fullWindow;
  private WindowStats partial;
  private byte[] fullWindowBytes;
  private DDSketch sketch;
  private DDSketch otherSketch;
  private int next;
  /** As many open windows as one pre-aggregating subtask holds in the end-to-end benchmark. */
  private static final int OPEN_WINDOWS = 18_000;
  private WindowStats[] openWindows;
  private int[] windowOrder;
  /** Turns per window in the end-to-end benchmark's documented input (1,000 experiments, 10 windows). */
  private static final int EIGHT = 8;
  private static final double[] SUMMARY_QUANTILES = {0.5, 0.95, 0.99};
  private SampleQuantiles eightLatencies;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    turns = Samples.placedTurns();
    latencies = new double[turns.length];
    for (int i = 0; i < turns.length; i++) {
      latencies[i] = turns[i].latencyMs;
    }
    fullWindow = window(0, turns.length);
    partial = window(0, 64);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    fullWindow.writeTo(new DataOutputStream(bytes));
    fullWindowBytes = bytes.toByteArray();
    openWindows = new WindowStats[OPEN_WINDOWS];
    for (int w = 0; w < OPEN_WINDOWS; w++) {
      openWindows[w] = window(w % Samples.SIZE, w % Samples.SIZE + 1);
    }
    java.util.Random random = new java.util.Random(7);
    windowOrder = new int[Samples.SIZE];
    for (int i = 0; i < windowOrder.length; i++) {
      windowOrder[i] = random.nextInt(OPEN_WINDOWS);
    }
    eightLatencies = new SampleQuantiles();
    for (int i = 0; i < EIGHT; i++) {
      eightLatencies.accept(latencies[i]);
    }
    otherSketch = DDSketches.collapsingLowestDense(WindowStats.RELATIVE_ACCURACY, 2048);
    for (double latency : latencies) {
      otherSketch.accept(latency);
    }
  }

  @Setup(Level.Iteration)
  public void freshAccumulators() {
    accumulating = new WindowStats(0, 60_000, 30_000, 1);
    sketch = DDSketches.collapsingLowestDense(WindowStats.RELATIVE_ACCURACY, 2048);
  }

  private WindowStats window(int from, int to) {
    WindowStats stats = new WindowStats(0, 60_000, 30_000, 1);
    for (int i = from; i < to; i++) {
      stats.add(turns[i], false);
    }
    return stats;
  }

  private int nextIndex() {
    next = (next + 1) & (Samples.SIZE - 1);
    return next;
  }

  /** WindowStats.add of one turn: counters, distinct units, four sketches, evidence. */
  @Benchmark
  public WindowStats windowAdd() {
    accumulating.add(turns[nextIndex()], false);
    return accumulating;
  }

  /**
   * WindowStats.add into one of 18,000 open windows, chosen at random: the pre-aggregator's case,
   * where the windows no longer fit in the CPU caches and every add waits for memory.
   */
  @Benchmark
  public WindowStats windowAddAmongManyOpen() {
    int i = nextIndex();
    WindowStats stats = openWindows[windowOrder[i]];
    stats.add(turns[i], false);
    return stats;
  }

  /** One DDSketch insert (1% relative accuracy, collapsing-lowest dense store). */
  @Benchmark
  public DDSketch sketchAdd() {
    sketch.accept(latencies[nextIndex()]);
    return sketch;
  }

  /** Merging one sketch of 1,024 lognormal latencies into another. */
  @Benchmark
  public DDSketch sketchMerge() {
    sketch.mergeWith(otherSketch);
    return sketch;
  }

  /** The three latency quantiles of a window of eight turns, as a window closes: sorted values and the sketch's bin mapping. */
  @Benchmark
  public double[] quantilesOfEightTurns() {
    return eightLatencies.getValuesAtQuantiles(SUMMARY_QUANTILES);
  }

  /** The same quantiles the way they were read before the ninth session: a DDSketch built of the eight values. */
  @Benchmark
  public double[] quantilesOfEightTurnsThroughASketch() {
    DDSketch view = DDSketches.collapsingLowestDense(WindowStats.RELATIVE_ACCURACY, 2048);
    for (int i = 0; i < EIGHT; i++) {
      view.accept(latencies[i]);
    }
    return view.getValuesAtQuantiles(SUMMARY_QUANTILES);
  }

  /** Folding a 64-turn partial aggregate into a window: what the window operator does per pre-aggregated bundle. */
  @Benchmark
  public WindowStats windowMergePartial() {
    accumulating.merge(partial);
    return accumulating;
  }

  /** Serialize and deserialize a window of 1,024 turns: what a RocksDB get and put of one window costs. */
  @Benchmark
  public WindowStats windowStateRoundTrip() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(fullWindowBytes.length);
    fullWindow.writeTo(new DataOutputStream(bytes));
    return WindowStats.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
  }
}
