package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.util.Locale;

/** What a job does when its output already exists. */
public enum OutputMode {
  /** Refuse to touch an existing output (the default). */
  ERROR,
  /** Replace it. */
  OVERWRITE,
  /** Add rows; refused when the existing output was made with another model. */
  APPEND,
  /** Delta only: embed rows whose id is new or whose text changed, and upsert them. */
  MERGE,
  /** Replace only the partitions this run writes; the others stay as they are. */
  OVERWRITE_PARTITIONS;

  /** Parses a {@code --mode} value. */
  public static OutputMode parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new UsageException("Unknown --mode '" + value + "'; use error, overwrite, append, merge or "
          + "overwrite-partitions.");
    }
  }
}
