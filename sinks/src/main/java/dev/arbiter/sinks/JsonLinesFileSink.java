package dev.arbiter.sinks;

import dev.arbiter.wire.JsonForm;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.generic.IndexedRecord;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes records as JSON Lines, one part file per subtask ({@code <prefix>.part-<n>}), for bounded
 * runs such as backtests: the caller merges and orders the parts after the job has finished.
 */
public final class JsonLinesFileSink<T extends IndexedRecord> implements Sink<T> {
  private static final long serialVersionUID = 1L;
  private final String prefix;

  public JsonLinesFileSink(Path prefix) {
    this.prefix = prefix.toAbsolutePath().toString();
  }

  public static Path part(Path prefix, int subtask) {
    return Path.of(prefix.toAbsolutePath() + ".part-" + subtask);
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
    Path file = part(Path.of(prefix), context.getTaskInfo().getIndexOfThisSubtask());
    BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    return new SinkWriter<>() {
      @Override
      public void write(T element, Context context) {
        try {
          writer.write(JsonForm.JSON.writeValueAsString(JsonForm.toJson(element)));
          writer.newLine();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public void flush(boolean endOfInput) throws IOException {
        writer.flush();
      }

      @Override
      public void close() throws IOException {
        writer.close();
      }
    };
  }
}
