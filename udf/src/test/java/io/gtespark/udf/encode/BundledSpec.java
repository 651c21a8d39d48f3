package io.gtespark.udf.encode;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.model.ModelLocation;
import io.gtespark.udf.model.ModelResolver;

/** The bundled model resolved once for a test JVM, on the CPU. */
public final class BundledSpec {
  private static ModelResolver.Resolved resolved;

  private BundledSpec() {}

  public static synchronized ModelResolver.Resolved resolved() {
    if (resolved == null) {
      resolved = ModelResolver.resolve(null, null, null, null, 0);
    }
    return resolved;
  }

  /** A CPU spec builder for the bundled model with max length 128. */
  public static EncoderSpec.Builder builder() {
    return EncoderSpec.builder(ModelLocation.bundled(resolved().profile().name()), resolved().identity())
        .device(DeviceRequest.CPU)
        .threads(2);
  }
}
