package dev.arbiter.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.Schema;

import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The JSON form of Arbiter's records: plain JSON objects with the Avro field names (no Avro
 * union wrappers), as written in backtest files, definitions and CLI output. Conversion follows
 * the schema, so a new field needs no code here. YAML input is accepted wherever JSON is.
 */
public final class JsonForm {

  public static final ObjectMapper JSON = new ObjectMapper();
  public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonForm() {}

  /** Thrown when a JSON value does not fit the schema; the message names the field and the fix. */
  public static final class JsonFormException extends Exception {
    private final Rejection rejection;

    public JsonFormException(Rejection rejection, String message) {
      super(message);
      this.rejection = rejection;
    }

    public Rejection rejection() {
      return rejection;
    }
  }

  /**
   * Converts a JSON object to the specific record of {@code schema}.
   *
   * @param ignoredFields top-level JSON fields that are not part of the record (e.g. "type")
   * @param strict when true, an unknown field is an error, so a typo in a definition is caught
   */
  @SuppressWarnings("unchecked")
  public static <T extends SpecificRecord> T fromJson(
      JsonNode node, Schema schema, Set<String> ignoredFields, boolean strict) throws JsonFormException {
    return (T) record(node, schema, "", ignoredFields, strict);
  }

  private static Object record(JsonNode node, Schema schema, String path, Set<String> ignored, boolean strict)
      throws JsonFormException {
    if (node == null || !node.isObject()) {
      throw new JsonFormException(Rejection.INVALID_FIELD,
          where(path) + "must be a JSON object (" + schema.getName() + ")");
    }
    if (strict) {
      Iterator<String> names = node.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (schema.getField(name) == null && !ignored.contains(name)) {
          List<String> known = schema.getFields().stream().map(Schema.Field::name).toList();
          throw new JsonFormException(Rejection.INVALID_FIELD,
              "unknown field '" + qualified(path, name) + "'; known fields: " + String.join(", ", known));
        }
      }
    }
    IndexedRecord record = (IndexedRecord) SpecificData.getForSchema(schema).newRecord(null, schema);
    for (Schema.Field field : schema.getFields()) {
      String fieldPath = qualified(path, field.name());
      JsonNode value = node.get(field.name());
      if (value == null || value.isMissingNode()) {
        if (!field.hasDefaultValue()) {
          throw new JsonFormException(Rejection.MISSING_FIELD, "missing required field '" + fieldPath + "'");
        }
        record.put(field.pos(), SpecificData.getForSchema(schema).getDefaultValue(field));
      } else {
        record.put(field.pos(), value(value, field.schema(), fieldPath, strict));
      }
    }
    return record;
  }

  private static Object value(JsonNode node, Schema schema, String path, boolean strict) throws JsonFormException {
    switch (schema.getType()) {
      case NULL:
        if (!node.isNull()) {
          throw invalid(path, "must be null");
        }
        return null;
      case UNION:
        return union(node, schema, path, strict);
      case STRING:
        if (!node.isTextual()) {
          throw invalid(path, "must be a string, got " + describe(node));
        }
        return node.textValue();
      case BOOLEAN:
        if (!node.isBoolean()) {
          throw invalid(path, "must be true or false, got " + describe(node));
        }
        return node.booleanValue();
      case INT:
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
          throw invalid(path, "must be a whole number within 32 bits, got " + describe(node));
        }
        return node.intValue();
      case LONG:
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
          throw invalid(path, "must be a whole number within 64 bits, got " + describe(node));
        }
        return node.longValue();
      case DOUBLE:
      case FLOAT:
        if (!node.isNumber()) {
          throw invalid(path, "must be a number, got " + describe(node));
        }
        return schema.getType() == Schema.Type.FLOAT ? (Object) node.floatValue() : (Object) node.doubleValue();
      case ENUM:
        if (!node.isTextual() || !schema.getEnumSymbols().contains(node.textValue())) {
          throw invalid(path, "must be one of " + schema.getEnumSymbols() + ", got " + describe(node));
        }
        return SpecificData.get().createEnum(node.textValue(), schema);
      case BYTES:
        if (!node.isTextual()) {
          throw invalid(path, "must be a string of bytes, got " + describe(node));
        }
        return ByteBuffer.wrap(node.textValue().getBytes(StandardCharsets.UTF_8));
      case ARRAY: {
        if (!node.isArray()) {
          throw invalid(path, "must be a list, got " + describe(node));
        }
        List<Object> items = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
          items.add(value(node.get(i), schema.getElementType(), path + "[" + i + "]", strict));
        }
        return items;
      }
      case MAP: {
        if (!node.isObject()) {
          throw invalid(path, "must be an object, got " + describe(node));
        }
        Map<String, Object> map = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> entry = fields.next();
          map.put(entry.getKey(), value(entry.getValue(), schema.getValueType(), path + "." + entry.getKey(), strict));
        }
        return map;
      }
      case RECORD:
        return record(node, schema, path, Set.of(), strict);
      default:
        throw invalid(path, "has unsupported schema type " + schema.getType());
    }
  }

  private static Object union(JsonNode node, Schema union, String path, boolean strict) throws JsonFormException {
    if (node.isNull()) {
      for (Schema branch : union.getTypes()) {
        if (branch.getType() == Schema.Type.NULL) {
          return null;
        }
      }
      throw invalid(path, "must not be null");
    }
    JsonFormException first = null;
    for (Schema branch : union.getTypes()) {
      if (branch.getType() == Schema.Type.NULL) {
        continue;
      }
      try {
        return value(node, branch, path, strict);
      } catch (JsonFormException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    throw first != null ? first : invalid(path, "matches no branch of its union");
  }

  /** Converts a record to its JSON form (field order as in the schema, map keys sorted). */
  public static ObjectNode toJson(IndexedRecord record) {
    return (ObjectNode) node(record, record.getSchema());
  }

  private static JsonNode node(Object value, Schema schema) {
    if (value == null) {
      return NODES.nullNode();
    }
    switch (schema.getType()) {
      case UNION:
        for (Schema branch : schema.getTypes()) {
          if (branch.getType() != Schema.Type.NULL && SpecificData.get().validate(branch, value)) {
            return node(value, branch);
          }
        }
        return NODES.textNode(String.valueOf(value));
      case RECORD: {
        IndexedRecord record = (IndexedRecord) value;
        ObjectNode object = NODES.objectNode();
        for (Schema.Field field : schema.getFields()) {
          object.set(field.name(), node(record.get(field.pos()), field.schema()));
        }
        return object;
      }
      case ARRAY: {
        ArrayNode array = NODES.arrayNode();
        for (Object item : (Iterable<?>) value) {
          array.add(node(item, schema.getElementType()));
        }
        return array;
      }
      case MAP: {
        ObjectNode object = NODES.objectNode();
        for (Map.Entry<?, ?> entry : new TreeMap<>((Map<?, ?>) value).entrySet()) {
          object.set(String.valueOf(entry.getKey()), node(entry.getValue(), schema.getValueType()));
        }
        return object;
      }
      case STRING:
      case ENUM:
        return NODES.textNode(value instanceof GenericEnumSymbol<?> ? value.toString() : String.valueOf(value));
      case BOOLEAN:
        return NODES.booleanNode((Boolean) value);
      case INT:
        return NODES.numberNode((Integer) value);
      case LONG:
        return NODES.numberNode((Long) value);
      case FLOAT:
        return NODES.numberNode((Float) value);
      case DOUBLE:
        return NODES.numberNode((Double) value);
      case BYTES: {
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return NODES.textNode(new String(bytes, StandardCharsets.UTF_8));
      }
      default:
        return NODES.textNode(String.valueOf(value));
    }
  }

  private static JsonFormException invalid(String path, String problem) {
    return new JsonFormException(Rejection.INVALID_FIELD, where(path) + problem);
  }

  private static String where(String path) {
    return path.isEmpty() ? "the record " : "field '" + path + "' ";
  }

  private static String qualified(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String describe(JsonNode node) {
    String text = node.toString();
    return node.getNodeType().name().toLowerCase() + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
  }

}
