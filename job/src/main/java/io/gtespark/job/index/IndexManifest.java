package io.gtespark.job.index;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputIdentity;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * {@code INDEX/_gte_index.json}: which build of an index is current (its folder holds the
 * {@code centroids} and {@code vectors} Delta tables), and what it was built from: the model, the
 * source table, its Delta id and version, the cells and how evenly they are filled. A build
 * becomes current only when this file is replaced, in one rename, so a reader sees the old build
 * or the new one, never half of one.
 */
public final class IndexManifest {
  /** The file's name in the index folder. */
  public static final String FILE = "_gte_index.json";
  /** The key of the catalog name the index was registered under ({@code index --output-table}). */
  public static final String TABLE = "table";
  /** Version of this layout, so that a later reader can refuse what it does not know. */
  static final int FORMAT = 1;

  private final Map<String, String> values;

  private IndexManifest(Map<String, String> values) {
    this.values = values;
  }

  /** A manifest of these values (strings, numbers, booleans). */
  static IndexManifest of(Map<String, ?> values) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("format", String.valueOf(FORMAT));
    values.forEach((k, v) -> m.put(k, String.valueOf(v)));
    return new IndexManifest(m);
  }

  /** The manifest of the index at {@code index}, or null when there is none. */
  public static IndexManifest read(String index, Configuration conf) {
    Map<String, String> m = OutputIdentity.readJson(new Path(index, FILE), conf);
    if (m == null) {
      return null;
    }
    if (!String.valueOf(FORMAT).equals(m.get("format"))) {
      throw new UsageException("Index " + index + " has layout format " + m.get("format") + "; this gte-spark reads "
          + "format " + FORMAT + ". Rebuild it with this version's index stage.");
    }
    return new IndexManifest(m);
  }

  /** A recorded value, or null. */
  public String get(String key) {
    return values.get(key);
  }

  /** A recorded number. */
  public long getLong(String key) {
    return Long.parseLong(values.get(key));
  }

  /** The number of the current build (1 for a first build). */
  public int build() {
    return Integer.parseInt(values.get("build"));
  }

  /** The folder of build {@code build} under {@code index}. */
  static String buildFolder(String index, int build) {
    return new Path(index, "build-" + build).toString();
  }

  /** The current build's centroids table. */
  public String centroids(String index) {
    return new Path(buildFolder(index, build()), "centroids").toString();
  }

  /** The current build's vectors table. */
  public String vectors(String index) {
    return new Path(buildFolder(index, build()), "vectors").toString();
  }

  /** Everything recorded, in order. */
  public Map<String, String> values() {
    return java.util.Collections.unmodifiableMap(values);
  }

  /**
   * Makes this the current manifest of {@code index}: written beside it, then renamed over it
   * (an atomic replace on HDFS and local disks; on object stores a single PUT is atomic too).
   */
  void publish(String index, Configuration conf) {
    Path target = new Path(index, FILE);
    try {
      replace(target, conf, staged -> OutputIdentity.writeJson(staged, values, conf));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot make " + target + " current: " + e.getMessage(), e);
    }
  }

  /** Writes a file's new content to the path it is given. */
  interface StagedWrite {
    void to(Path staged) throws IOException;
  }

  /**
   * Replaces {@code target} in one step: the new content is written beside it
   * ({@code .NAME.staged}), then renamed over it, so a reader sees the old file or the new one.
   */
  static void replace(Path target, Configuration conf, StagedWrite write) throws IOException {
    Path staged = new Path(target.getParent(), "." + target.getName() + ".staged");
    write.to(staged);
    FileContext.getFileContext(target.toUri(), conf).rename(staged, target, Options.Rename.OVERWRITE);
  }
}
