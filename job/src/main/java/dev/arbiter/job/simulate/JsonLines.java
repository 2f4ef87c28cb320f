package dev.arbiter.job.simulate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.avro.JudgeScoreEvent;
import dev.arbiter.avro.OutcomeEvent;
import dev.arbiter.wire.JsonForm;
import org.apache.avro.specific.SpecificRecord;

/** The backtest JSON Lines form of an input event: its JSON form with a leading "type". */
public final class JsonLines {
  private JsonLines() {}

  public static String of(SpecificRecord event) {
    ObjectNode line = JsonForm.JSON.createObjectNode();
    line.put("type", event instanceof OutcomeEvent ? "outcome" : event instanceof JudgeScoreEvent ? "judge" : "turn");
    line.setAll(JsonForm.toJson(event));
    try {
      return JsonForm.JSON.writeValueAsString(line);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
