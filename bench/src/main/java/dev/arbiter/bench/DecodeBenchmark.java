package dev.arbiter.bench;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Admission;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.wire.WireFormat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** The source side of every event: wire decode, the plausibility checks, and admission into its experiment. */
public class DecodeBenchmark extends HotPathBenchmark {
  private byte[][] encoded;
  private Ingested[] ingested;
  private ExperimentDefinition definition;
  private IngestDecoder decoder;
  private int next;

  @Setup
  public void setUp() {
    encoded = Samples.encodedTurns();
    ingested = Samples.ingestedTurns();
    definition = Samples.definition();
    decoder = new IngestDecoder(Long.MAX_VALUE);
  }

  private int nextIndex() {
    next = (next + 1) & (Samples.SIZE - 1);
    return next;
  }

  /** Avro single-object decoding of one TurnEvent (fingerprint lookup and resolving reader). */
  @Benchmark
  public Object wireDecode() {
    return WireFormat.decode(encoded[nextIndex()]);
  }

  /** What the Kafka source's deserializer does per record: decode plus the turn checks. */
  @Benchmark
  public Object ingestDecode() {
    int i = nextIndex();
    return decoder.decode(encoded[i], "llm.turns", 0, i, -1);
  }

  /** TurnRouter's per-turn work: checks against the definition, segments and the assignment check. */
  @Benchmark
  public Object admit() {
    return Admission.admit(ingested[nextIndex()], definition);
  }

  /** The deterministic assignment alone (SHA-256 of salt and unit). */
  @Benchmark
  public Object assignment() {
    return Admission.assignedVariant(definition, ingested[nextIndex()].turn.getUnitId());
  }
}
