package io.gtespark.udf.device;

import io.gtespark.udf.EnumSetting;

/** The device a user asks for: {@code auto} (GPU when usable, else CPU), {@code cpu} or {@code cuda}. */
public enum DeviceRequest {
  AUTO,
  CPU,
  CUDA;

  /** Parses {@code auto}, {@code cpu} or {@code cuda}. */
  public static DeviceRequest parse(String value, String setting) {
    return EnumSetting.parse(DeviceRequest.class, value, setting, "device");
  }
}
