package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.util.Locale;

/** The formats the jobs write. */
public enum OutputFormat {
  PARQUET,
  DELTA,
  JSON;

  /** Parses an {@code --output-format} value. */
  public static OutputFormat parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new UsageException("Unknown --output-format '" + value + "'; use parquet, delta or json.");
    }
  }

  /** The Spark data source name. */
  public String source() {
    return name().toLowerCase(Locale.ROOT);
  }
}
