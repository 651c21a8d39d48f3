package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The input formats the jobs read, and how {@code auto} picks one from a path. */
public enum InputFormat {
  PARQUET,
  DELTA,
  JSON,
  CSV,
  TEXT,
  ORC,
  /** A table in the session's catalog, named instead of a path. */
  TABLE;

  /** Parses a {@code --format} value; {@code auto} returns null. */
  public static InputFormat parse(String value) {
    if (value == null || value.equalsIgnoreCase("auto")) {
      return null;
    }
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("Unknown input format '" + value
          + "'; use auto, parquet, delta, json, csv, text, orc or table.");
    }
  }

  /**
   * The format of {@code input}: a Delta table has {@code _delta_log}; otherwise the extension
   * of the path or, for a directory, of its first data file; a name without a path separator
   * that is not a file is a catalog table.
   */
  public static InputFormat detect(String input, org.apache.hadoop.conf.Configuration conf) {
    try {
      Path path = new Path(input);
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) {
        if (!input.contains("/") && !input.contains("\\")) {
          return TABLE;
        }
        throw new UsageException("Input " + input + " does not exist. Check the path (and, for hdfs:// or s3a://, "
            + "the credentials), or name a catalog table with --format table.");
      }
      if (fs.getFileStatus(path).isDirectory()) {
        if (fs.exists(new Path(path, "_delta_log"))) {
          return DELTA;
        }
        InputFormat found = byFiles(fs, path, 4);
        if (found != null) {
          return found;
        }
        throw new UsageException("Cannot tell the format of directory " + input
            + " from its files; pass --format parquet|delta|json|csv|text|orc.");
      }
      InputFormat byName = fromExtension(path.getName());
      if (byName == null) {
        throw new UsageException("Cannot tell the format of " + input
            + " from its name; pass --format parquet|delta|json|csv|text|orc.");
      }
      return byName;
    } catch (IOException e) {
      throw new UsageException("Cannot read input " + input + ": " + e.getMessage());
    }
  }

  /**
   * The format of the first data file in {@code dir}, looking into Hive-style partition
   * directories ({@code day=2024-01-01/}) down to {@code depth} levels; null if none tells.
   */
  private static InputFormat byFiles(FileSystem fs, Path dir, int depth) throws IOException {
    for (FileStatus f : fs.listStatus(dir)) {
      String name = f.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        continue;
      }
      if (f.isFile()) {
        InputFormat byName = fromExtension(name);
        if (byName != null) {
          return byName;
        }
      } else if (depth > 0 && name.contains("=")) {
        InputFormat inside = byFiles(fs, f.getPath(), depth - 1);
        if (inside != null) {
          return inside;
        }
      }
    }
    return null;
  }

  private static InputFormat fromExtension(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (String compression : new String[] {".gz", ".bz2", ".zst", ".snappy", ".lz4"}) {
      if (n.endsWith(compression) && !n.endsWith(".parquet" + compression)) {
        n = n.substring(0, n.length() - compression.length());
      }
    }
    if (n.endsWith(".parquet") || n.contains(".snappy.parquet") || n.endsWith(".parq")) {
      return PARQUET;
    }
    if (n.endsWith(".json") || n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
      return JSON;
    }
    if (n.endsWith(".csv") || n.endsWith(".tsv")) {
      return CSV;
    }
    if (n.endsWith(".txt") || n.endsWith(".text")) {
      return TEXT;
    }
    if (n.endsWith(".orc")) {
      return ORC;
    }
    return null;
  }
}
