package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** The type of observation streams between operators: {@link ObservationSerializer} instead of the POJO serializer. */
public final class ObservationTypeInfo extends WireTypeInfo<Observation> {
  private static final long serialVersionUID = 1L;
  public static final ObservationTypeInfo INSTANCE = new ObservationTypeInfo();

  private ObservationTypeInfo() {
    super(Observation.class);
  }

  @Override
  public TypeSerializer<Observation> createSerializer(SerializerConfig config) {
    return ObservationSerializer.INSTANCE;
  }
}
