package io.gtespark.udf.device;

import java.util.Locale;

/** The device a user asks for: {@code auto} (GPU when usable, else CPU), {@code cpu} or {@code cuda}. */
public enum DeviceRequest {
  AUTO,
  CPU,
  CUDA;

  /** Parses {@code auto}, {@code cpu} or {@code cuda}. */
  public static DeviceRequest parse(String value, String setting) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT);
      for (DeviceRequest d : values()) {
        if (d.name().equals(v)) {
          return d;
        }
      }
    }
    throw new IllegalArgumentException(
        "Unknown device '" + value + "' in " + setting + ": use 'auto', 'cpu' or 'cuda'.");
  }
}
