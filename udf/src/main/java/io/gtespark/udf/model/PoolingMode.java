package io.gtespark.udf.model;

import io.gtespark.udf.EnumSetting;
import java.util.Locale;

/** How token vectors become one sentence vector: the [CLS] token, or the masked mean. */
public enum PoolingMode {
  CLS,
  MEAN;

  /** Parses {@code cls} or {@code mean} (case-insensitive); {@code setting} names the source in errors. */
  public static PoolingMode parse(String value, String setting) {
    return EnumSetting.parse(PoolingMode.class, value, setting, "pooling");
  }

  /** The lower-case name used on the command line and in metadata. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
