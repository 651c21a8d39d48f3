package io.gtespark.job.embed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * What an input was when a run was planned, as one string: the sorted list of the files the scan
 * reads with their lengths and modification times (what a file system can prove without reading
 * the data), a Delta table's pinned version, or, for an input without files (a catalog view, a
 * JDBC table), a digest of its rows. Equal fingerprints mean the same rows.
 */
public final class InputFingerprint {
  private InputFingerprint() {}

  /**
   * The fingerprint of the files behind {@code input}; when the scan cannot name them (plain text,
   * read line by line), of every file under {@code path}; for an input with no files at all, of
   * its rows ({@link #ofRows}).
   */
  public static String of(Dataset<Row> input, String path, Configuration conf) {
    try {
      String[] files = input.inputFiles();
      if (files.length == 0) {
        Path root = new Path(path);
        if (!root.getFileSystem(conf).exists(root)) {
          // A catalog view or a table without files to name: only its rows can prove it unchanged.
          return ofRows(input);
        }
        List<String> lines = new ArrayList<>();
        var it = root.getFileSystem(conf).listFiles(root, true);
        while (it.hasNext()) {
          lines.add(line(it.next()));
        }
        return digest(lines);
      }
      return digest(statuses(files, conf));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list the input's files to plan the slices: " + e.getMessage(), e);
    }
  }

  /**
   * One line (path, length, modification time) per file, fresh from the file system: one listing
   * per parent directory instead of one status request per file (a table of 200,000 files in a few
   * hundred partition directories asks a few hundred times), the directories listed side by side.
   */
  static List<String> statuses(String[] files, Configuration conf) throws IOException {
    java.util.Map<String, java.util.Set<String>> byParent = new java.util.TreeMap<>();
    for (String f : files) {
      Path p = new Path(java.net.URI.create(f)); // Spark names input files by URI (a space is %20)
      byParent.computeIfAbsent(p.getParent().toUri().toString(), x -> new java.util.HashSet<>())
          .add(p.toUri().toString());
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        Math.max(1, Math.min(16, byParent.size())));
    try {
      List<java.util.concurrent.Future<List<String>>> parts = new ArrayList<>();
      for (java.util.Map.Entry<String, java.util.Set<String>> dir : byParent.entrySet()) {
        parts.add(pool.submit(() -> {
          Path parent = new Path(java.net.URI.create(dir.getKey()));
          List<String> lines = new ArrayList<>();
          for (FileStatus st : parent.getFileSystem(conf).listStatus(parent)) {
            if (dir.getValue().contains(st.getPath().toUri().toString())) {
              lines.add(line(st));
            }
          }
          return lines;
        }));
      }
      List<String> lines = new ArrayList<>(files.length);
      for (java.util.concurrent.Future<List<String>> part : parts) {
        lines.addAll(part.get());
      }
      if (lines.size() != files.length) {
        throw new IOException((files.length - lines.size()) + " of the input's " + files.length + " files were not "
            + "found when listing their directories (deleted while the run was planned?)");
      }
      return lines;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while listing the input's files", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IOException ? (IOException) e.getCause() : new IOException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static String line(FileStatus st) {
    return st.getPath().toUri() + "\t" + st.getLen() + "\t" + st.getModificationTime();
  }

  private static String digest(List<String> lines) {
    List<String> sorted = new ArrayList<>(lines);
    java.util.Collections.sort(sorted);
    return "files:" + sorted.size() + ":" + sha256Hex(sorted).substring(0, 32);
  }

  /**
   * A digest of every row of {@code input} in one aggregate pass, independent of row order and
   * partitioning: the row count, and the XOR and the exact sum of a 64-bit hash of each whole row
   * (the sum keeps a row that appears twice from cancelling out, as it would in the XOR). A changed,
   * added or removed row changes it, except by a 64-bit hash collision.
   */
  public static String ofRows(Dataset<Row> input) {
    Column[] all = Arrays.stream(input.columns()).map(input::col).toArray(Column[]::new);
    Column hash = all.length == 0 ? functions.lit(0L) : functions.xxhash64(all);
    Row r = input.agg(functions.count(functions.lit(1)), functions.bit_xor(hash),
        functions.sum(hash.cast("decimal(38,0)"))).first();
    return "rows:" + r.getLong(0) + ":" + sha256Hex(List.of(String.valueOf(r.get(1)), String.valueOf(r.get(2))))
        .substring(0, 32);
  }

  /** SHA-256 of {@code parts}, each ended by a NUL so that no two lists share a digest by concatenation. */
  static String sha256Hex(List<String> parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String p : parts) {
        md.update(String.valueOf(p).getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fingerprint of a Delta table read at {@code version}. */
  public static String ofDelta(String location, long version) {
    return "delta:" + location + "@" + version;
  }
}
