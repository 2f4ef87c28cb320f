package dev.arbiter.bench;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.TurnEvent;
import dev.arbiter.core.Admission;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import dev.arbiter.job.simulate.RunningExample;
import dev.arbiter.job.simulate.SupportBotTraffic;
import dev.arbiter.wire.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** Realistic inputs for the benchmarks: the running example's simulated turns, seeded. */
final class Samples {
  static final int SIZE = 1024;
  static final long START = 1_763_800_000_000L;

  private Samples() {}

  static ExperimentDefinition definition() {
    return RunningExample.definition(START);
  }

  static List<TurnEvent> turns() {
    SupportBotTraffic traffic = new SupportBotTraffic(definition(), 7, 400, w -> 40, List.of());
    List<TurnEvent> turns = new ArrayList<>(SIZE);
    while (turns.size() < SIZE && traffic.hasNext()) {
      SpecificRecord record = traffic.next();
      if (record instanceof TurnEvent turn) {
        turns.add(turn);
      }
    }
    return turns;
  }

  static byte[][] encodedTurns() {
    List<TurnEvent> turns = turns();
    byte[][] encoded = new byte[turns.size()][];
    for (int i = 0; i < encoded.length; i++) {
      encoded[i] = WireFormat.encode(turns.get(i));
    }
    return encoded;
  }

  static Ingested[] ingestedTurns() {
    IngestDecoder decoder = new IngestDecoder(Long.MAX_VALUE);
    byte[][] encoded = encodedTurns();
    Ingested[] ingested = new Ingested[encoded.length];
    for (int i = 0; i < encoded.length; i++) {
      ingested[i] = decoder.decode(encoded[i], "llm.turns", 0, i, -1);
    }
    return ingested;
  }

  /** Admitted turns placed in the rollup window of their variant, as the window operator receives them. */
  static Observation[] placedTurns() {
    ExperimentDefinition definition = definition();
    Ingested[] ingested = ingestedTurns();
    Observation[] placed = new Observation[ingested.length];
    for (int i = 0; i < ingested.length; i++) {
      Observation o = Admission.admit(ingested[i], definition).observation();
      placed[i] = o.placed(o.variantId, "*");
    }
    return placed;
  }
}
