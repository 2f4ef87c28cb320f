package dev.arbiter.operators;

import dev.arbiter.core.WindowStats;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer of {@link WindowStats}, delegating to its own versioned binary form, so the
 * window state (with its DDSketches) is never handed to Kryo.
 */
public final class WindowStatsSerializer extends TypeSerializer<WindowStats> {
  private static final long serialVersionUID = 1L;
  public static final WindowStatsSerializer INSTANCE = new WindowStatsSerializer();

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<WindowStats> duplicate() {
    return this;
  }

  @Override
  public WindowStats createInstance() {
    return new WindowStats(0, 1, 0, 0);
  }

  @Override
  public WindowStats copy(WindowStats from) {
    try {
      DataOutputSerializer out = new DataOutputSerializer(256);
      from.writeTo(out);
      return WindowStats.readFrom(new DataInputDeserializer(out.getSharedBuffer(), 0, out.length()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy window state", e);
    }
  }

  @Override
  public WindowStats copy(WindowStats from, WindowStats reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(WindowStats record, DataOutputView target) throws IOException {
    record.writeTo(target);
  }

  @Override
  public WindowStats deserialize(DataInputView source) throws IOException {
    return WindowStats.readFrom(source);
  }

  @Override
  public WindowStats deserialize(WindowStats reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    serialize(deserialize(source), target);
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof WindowStatsSerializer;
  }

  @Override
  public int hashCode() {
    return WindowStatsSerializer.class.hashCode();
  }

  @Override
  public TypeSerializerSnapshot<WindowStats> snapshotConfiguration() {
    return new Snapshot();
  }

  /** The format version lives inside each serialized value, so the snapshot needs no parameters. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<WindowStats> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
