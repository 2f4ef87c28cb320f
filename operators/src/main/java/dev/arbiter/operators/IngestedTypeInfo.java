package dev.arbiter.operators;

import dev.arbiter.core.Ingested;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** The type of ingested records between the source and the router: {@link IngestedSerializer} instead of the POJO serializer. */
public final class IngestedTypeInfo extends WireTypeInfo<Ingested> {
  private static final long serialVersionUID = 1L;
  public static final IngestedTypeInfo INSTANCE = new IngestedTypeInfo();

  private IngestedTypeInfo() {
    super(Ingested.class);
  }

  @Override
  public TypeSerializer<Ingested> createSerializer(SerializerConfig config) {
    return new IngestedSerializer();
  }
}
