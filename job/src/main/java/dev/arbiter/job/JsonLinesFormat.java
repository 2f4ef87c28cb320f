package dev.arbiter.job;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.IngestDecoder;
import dev.arbiter.core.Ingested;
import dev.arbiter.operators.IngestedTypeInfo;
import dev.arbiter.wire.JsonForm;
import dev.arbiter.wire.Rejection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * Reads JSON Lines files (gzipped when the name ends in .gz) into {@link Ingested}: events
 * ({@code {"type":"turn"|"outcome"|"judge",...}}) or definitions, one object a line. A bad line
 * becomes a dead letter with its line number; it never stops the run.
 */
public final class JsonLinesFormat extends SimpleStreamFormat<Ingested> {
  private static final long serialVersionUID = 1L;

  /** What the lines hold. */
  public enum Content { EVENTS, DEFINITIONS }

  private final Content content;
  private final String sourceName;
  private final IngestDecoder decoder;

  public JsonLinesFormat(Content content, String sourceName, IngestDecoder decoder) {
    this.content = content;
    this.sourceName = sourceName;
    this.decoder = decoder;
  }

  @Override
  public StreamFormat.Reader<Ingested> createReader(Configuration config, FSDataInputStream stream) {
    BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8), 1 << 16);
    return new StreamFormat.Reader<>() {
      private long lineNumber;

      @Override
      public Ingested read() throws IOException {
        String line;
        do {
          line = lines.readLine();
          if (line == null) {
            return null;
          }
          lineNumber++;
        } while (line.isBlank());
        return content == Content.EVENTS ? decoder.decodeJsonLine(line, sourceName, lineNumber) : definition(line, lineNumber);
      }

      @Override
      public void close() throws IOException {
        lines.close();
      }
    };
  }

  private Ingested definition(String line, long lineNumber) {
    try {
      Ingested ingested = new Ingested();
      ingested.definition = JsonForm.fromJson(JsonForm.JSON.readTree(line), ExperimentDefinition.getClassSchema(), Set.of(), true);
      ingested.sourceTopic = sourceName;
      ingested.sourceOffset = lineNumber;
      return ingested;
    } catch (JsonForm.JsonFormException e) {
      return Ingested.rejected(Rejection.INVALID_DEFINITION, e.getMessage(), line.getBytes(StandardCharsets.UTF_8),
          sourceName, -1, lineNumber, null, null);
    } catch (IOException e) {
      return Ingested.rejected(Rejection.MALFORMED_JSON, e.getMessage(), line.getBytes(StandardCharsets.UTF_8),
          sourceName, -1, lineNumber, null, null);
    }
  }

  @Override
  public TypeInformation<Ingested> getProducedType() {
    return IngestedTypeInfo.INSTANCE;
  }
}
