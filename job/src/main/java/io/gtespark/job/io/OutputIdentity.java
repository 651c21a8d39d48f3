package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gtespark.udf.model.ModelIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The model identity recorded with an output: Delta table properties for Delta tables, the
 * sidecar file {@value #SIDECAR} inside the output folder for Parquet and JSON (Spark's readers
 * skip files starting with an underscore).
 */
public final class OutputIdentity {
  /** Name of the sidecar file for Parquet and JSON outputs. */
  public static final String SIDECAR = "_gte_model.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private OutputIdentity() {}

  /** Writes the sidecar of a file output. */
  public static void writeSidecar(String output, ModelIdentity identity, Map<String, String> extra, Configuration conf) {
    Map<String, String> content = new TreeMap<>(identity.toProperties());
    content.putAll(extra);
    writeJson(new Path(output, SIDECAR), content, conf);
  }

  /** The identity in a file output's sidecar, or null when there is none. */
  public static ModelIdentity readSidecar(String output, Configuration conf) {
    Map<String, String> m = readJson(new Path(output, SIDECAR), conf);
    return m == null ? null : ModelIdentity.fromProperties(m);
  }

  /** The identity in a Delta table's properties, or null when {@code path} is no Delta table. */
  public static ModelIdentity readDeltaProperties(org.apache.spark.sql.SparkSession spark, String path) {
    if (!io.delta.tables.DeltaTable.isDeltaTable(spark, path)) {
      return null;
    }
    Map<String, String> props = new HashMap<>();
    // A command's rows come back without a Spark job (DESCRIBE DETAIL's first() ran one), so that
    // analysing a query that names an index (gte_search) runs none.
    for (org.apache.spark.sql.Row r : spark.sql("SHOW TBLPROPERTIES delta.`" + path.replace("`", "``") + "`")
        .collectAsList()) {
      props.put(r.getString(0), r.getString(1));
    }
    return ModelIdentity.fromProperties(props);
  }

  /** The identity recorded with any output: its sidecar, else its Delta properties, else null. */
  public static ModelIdentity read(org.apache.spark.sql.SparkSession spark, String path) {
    ModelIdentity sidecar = readSidecar(path, spark.sparkContext().hadoopConfiguration());
    return sidecar != null ? sidecar : readDeltaProperties(spark, path);
  }

  /** Writes a flat JSON object of strings (metrics and identity files). */
  public static void writeJson(Path file, Map<String, ?> content, Configuration conf) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      try (OutputStream out = fs.create(file, true)) {
        JSON.writerWithDefaultPrettyPrinter().writeValue(out, content);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a flat JSON object as strings, or null when the file does not exist. */
  @SuppressWarnings("unchecked")
  public static Map<String, String> readJson(Path file, Configuration conf) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        return null;
      }
      try (InputStream in = fs.open(file)) {
        Map<String, Object> raw = JSON.readValue(in, Map.class);
        Map<String, String> m = new HashMap<>();
        raw.forEach((k, v) -> m.put(k, String.valueOf(v)));
        return m;
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Refuses to add vectors from {@code ours} to an output made with {@code theirs}. */
  public static void requireSame(String output, ModelIdentity theirs, ModelIdentity ours) {
    if (theirs == null) {
      throw new UsageException("Output " + output + " exists but records no gte-spark model identity, so "
          + "vectors added now could not be trusted to match its rows. Write to a new output, or use --mode overwrite.");
    }
    if (!theirs.equals(ours)) {
      throw new UsageException("Output " + output + " was embedded with " + theirs + " but this run uses "
          + ours + "; vectors from different models (or dimensions, pooling, max length) cannot be mixed. Use the "
          + "same --model and settings, write to a new output, or use --mode overwrite to re-embed everything.");
    }
  }
}
