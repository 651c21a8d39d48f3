package io.gtespark.udf.model;

import java.util.Locale;

/** How token vectors become one sentence vector: the [CLS] token, or the masked mean. */
public enum PoolingMode {
  CLS,
  MEAN;

  /** Parses {@code cls} or {@code mean} (case-insensitive); {@code setting} names the source in errors. */
  public static PoolingMode parse(String value, String setting) {
    if (value != null) {
      switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "cls":
          return CLS;
        case "mean":
          return MEAN;
        default:
          break;
      }
    }
    throw new IllegalArgumentException(
        "Unknown pooling '" + value + "' in " + setting + ": use 'cls' or 'mean'.");
  }

  /** The lower-case name used on the command line and in metadata. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
