package io.gtespark.job.embed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What an input was when a run was planned, as one hash: the sorted list of the files the scan
 * reads with their lengths and modification times (what a file system can prove without reading
 * the data), or a Delta table's pinned version. Equal fingerprints mean the same rows.
 */
public final class InputFingerprint {
  /** Prefix of the fingerprint of an input without files to list: it proves nothing. */
  static final String UNLISTED = "unlisted:";

  private InputFingerprint() {}

  /**
   * The fingerprint of the files behind {@code input}; when the scan cannot name them (plain text,
   * read line by line), of every file under {@code path}; for inputs with no files at all (a
   * catalog view), only the name, so a change of such an input goes unnoticed.
   */
  public static String ofFiles(Dataset<Row> input, String path, Configuration conf) {
    try {
      String[] files = input.inputFiles();
      if (files.length == 0) {
        java.util.List<String> listed = new java.util.ArrayList<>();
        Path root = new Path(path);
        if (!root.getFileSystem(conf).exists(root)) {
          // A catalog view or a table without files to name: nothing a file system can prove.
          return UNLISTED + path;
        }
        var it = root.getFileSystem(conf).listFiles(root, true);
        while (it.hasNext()) {
          listed.add(it.next().getPath().toString());
        }
        files = listed.toArray(new String[0]);
      }
      Arrays.sort(files);
      java.util.List<String> lines = new java.util.ArrayList<>(files.length);
      for (String f : files) {
        Path p = new Path(f);
        FileStatus st = p.getFileSystem(conf).getFileStatus(p);
        lines.add(f + "\t" + st.getLen() + "\t" + st.getModificationTime());
      }
      return "files:" + files.length + ":" + sha256Hex(lines).substring(0, 32);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list the input's files to plan the slices: " + e.getMessage(), e);
    }
  }

  /** SHA-256 of {@code parts}, each ended by a NUL so that no two lists share a digest by concatenation. */
  static String sha256Hex(java.util.List<String> parts) {
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
