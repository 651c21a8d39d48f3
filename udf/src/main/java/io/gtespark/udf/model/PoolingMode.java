package io.gtespark.udf.model;

import io.gtespark.udf.EnumSetting;
import java.util.Locale;

/**
 * How token vectors become one sentence vector: the [CLS] token, the masked mean, or the graph's
 * own pooling for exports whose output is already one vector per text.
 */
public enum PoolingMode {
  CLS,
  MEAN,
  /** The ONNX graph pools itself (its output is [batch, dim]); nothing is pooled outside it. */
  GRAPH;

  /** Parses {@code cls}, {@code mean} or {@code graph} (case-insensitive); {@code setting} names the source in errors. */
  public static PoolingMode parse(String value, String setting) {
    return EnumSetting.parse(PoolingMode.class, value, setting, "pooling");
  }

  /** The lower-case name used on the command line and in metadata. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
