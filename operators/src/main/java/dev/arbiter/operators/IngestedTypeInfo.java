package dev.arbiter.operators;

import dev.arbiter.core.Ingested;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** The type of ingested records between the source and the router: {@link IngestedSerializer} instead of the POJO serializer. */
public final class IngestedTypeInfo extends TypeInformation<Ingested> {
  private static final long serialVersionUID = 1L;
  public static final IngestedTypeInfo INSTANCE = new IngestedTypeInfo();

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
  public Class<Ingested> getTypeClass() {
    return Ingested.class;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<Ingested> createSerializer(SerializerConfig config) {
    return new IngestedSerializer();
  }

  @Override
  public String toString() {
    return "Ingested";
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof IngestedTypeInfo;
  }

  @Override
  public int hashCode() {
    return IngestedTypeInfo.class.hashCode();
  }

  @Override
  public boolean canEqual(Object obj) {
    return obj instanceof IngestedTypeInfo;
  }
}
