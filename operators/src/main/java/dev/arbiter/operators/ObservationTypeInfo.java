package dev.arbiter.operators;

import dev.arbiter.core.Observation;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** The type of observation streams between operators: {@link ObservationSerializer} instead of the POJO serializer. */
public final class ObservationTypeInfo extends TypeInformation<Observation> {
  private static final long serialVersionUID = 1L;
  public static final ObservationTypeInfo INSTANCE = new ObservationTypeInfo();

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<Observation> getTypeClass() {
    return Observation.class;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<Observation> createSerializer(SerializerConfig config) {
    return ObservationSerializer.INSTANCE;
  }

  @Override
  public String toString() {
    return "Observation";
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof ObservationTypeInfo;
  }

  @Override
  public int hashCode() {
    return ObservationTypeInfo.class.hashCode();
  }

  @Override
  public boolean canEqual(Object obj) {
    return obj instanceof ObservationTypeInfo;
  }
}
