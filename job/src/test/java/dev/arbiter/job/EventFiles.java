package dev.arbiter.job;

import dev.arbiter.job.simulate.Events;
import dev.arbiter.job.simulate.JsonLines;
import dev.arbiter.job.simulate.SupportBotTraffic;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.zip.GZIPOutputStream;
import org.apache.avro.specific.SpecificRecord;

/** Backtest input files for studies of many experiments. */
final class EventFiles {
  private EventFiles() {}

  /**
   * Writes the experiments' streams merged in event-time order, as a shared serving log would hold
   * them, as gzipped JSON Lines.
   *
   * @return the number of events written
   */
  static long writeMerged(List<SupportBotTraffic> traffic, Path file) throws IOException {
    record Head(SpecificRecord event, SupportBotTraffic source) {}
    long lines = 0;
    try (BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(
        new GZIPOutputStream(Files.newOutputStream(file), 1 << 16), StandardCharsets.UTF_8), 1 << 16)) {
      PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong((Head h) -> Events.eventTime(h.event())));
      for (SupportBotTraffic source : traffic) {
        if (source.hasNext()) {
          heads.add(new Head(source.next(), source));
        }
      }
      while (!heads.isEmpty()) {
        Head head = heads.poll();
        writer.write(JsonLines.of(head.event()));
        writer.newLine();
        lines++;
        if (head.source().hasNext()) {
          heads.add(new Head(head.source().next(), head.source()));
        }
      }
    }
    return lines;
  }
}
