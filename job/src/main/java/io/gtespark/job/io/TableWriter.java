package io.gtespark.job.io;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cli.UsageException;
import io.gtespark.udf.model.ModelIdentity;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a job's output with Spark's commit protocol (files) or Delta's transaction log, so a
 * retried task never duplicates rows; checks the output's state before any data is computed.
 */
public final class TableWriter {
  private final SparkSession spark;
  private String output;
  private final OutputFormat format;
  private final OutputMode mode;
  private String txnAppId;
  private long txnVersion = -1;
  private List<String> partitionBy = List.of();
  private String newTable;
  private Map<String, String> properties = Map.of();

  public TableWriter(SparkSession spark, String output, OutputFormat format, OutputMode mode) {
    this.spark = spark;
    this.output = output;
    this.format = format;
    this.mode = mode;
  }

  /**
   * Makes Delta appends idempotent: Delta records ({@code appId}, {@code version}) in the same
   * commit and skips a later write with a version it has already seen for that app id, so a
   * rerun of a job run (after a driver crash, say) never doubles its rows.
   */
  public TableWriter withTransaction(String appId, long version) {
    if (format != OutputFormat.DELTA || mode != OutputMode.APPEND) {
      throw new UsageException("--txn-app-id/--txn-version make Delta appends idempotent; they need "
          + "--output-format delta and --mode append.");
    }
    if (appId == null || appId.isBlank() || version < 0) {
      throw new UsageException("--txn-app-id needs a non-empty name and --txn-version a number >= 0.");
    }
    this.txnAppId = appId;
    this.txnVersion = version;
    return this;
  }

  /**
   * Writes Hive-style partition directories by {@code columns} (Delta: a partitioned table).
   * {@code --mode overwrite-partitions} needs at least one.
   */
  public TableWriter partitionBy(List<String> columns) {
    this.partitionBy = List.copyOf(columns);
    return this;
  }

  /**
   * Table properties a new Delta table gets in the commit that creates it, beside the model's
   * identity (an index records its source and cells this way).
   */
  public TableWriter withProperties(Map<String, String> properties) {
    this.properties = Map.copyOf(properties);
    return this;
  }

  /**
   * Creates catalog table {@code name} (Delta) with the first write, instead of writing a path;
   * afterwards the writer works at the table's location. For a table that already exists, give
   * its location as the output instead.
   */
  public TableWriter creatingTable(String name) {
    if (format != OutputFormat.DELTA) {
      throw new UsageException("--output-table writes a Delta table; use --output-format delta (the default for it).");
    }
    this.newTable = name;
    return this;
  }

  private void requirePartitionsForOverwrite() {
    if (mode == OutputMode.OVERWRITE_PARTITIONS && partitionBy.isEmpty()) {
      throw new UsageException("--mode overwrite-partitions replaces the partitions a run writes, but the output "
          + "has no partition columns: name them with --partition-by (a partitioned input passes its own on).");
    }
  }

  private Configuration conf() {
    return spark.sparkContext().hadoopConfiguration();
  }

  /** Rows in the committed output, read back in its format (footers and the Delta log for Parquet and Delta). */
  public long committedRows() {
    return committed().count();
  }

  private Dataset<Row> committed() {
    return spark.read().format(format.source()).load(output);
  }

  /**
   * Rows in the committed output whose partition values are among {@code partitionValues} (rows
   * of the partition columns): what an overwrite of those partitions wrote.
   */
  public long committedRowsIn(Dataset<Row> partitionValues) {
    Dataset<Row> committed = committed();
    org.apache.spark.sql.Column on = org.apache.spark.sql.functions.lit(true);
    for (String c : partitionBy) {
      on = on.and(committed.col(c).eqNullSafe(partitionValues.col(c)));
    }
    return committed.join(org.apache.spark.sql.functions.broadcast(partitionValues), on, "left_semi").count();
  }

  /** True when the output path holds something. */
  public boolean exists() {
    if (output == null) {
      return false;
    }
    try {
      Path p = new Path(output);
      FileSystem fs = p.getFileSystem(conf());
      return fs.exists(p) && (!fs.getFileStatus(p).isDirectory() || fs.listStatus(p).length > 0);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot check output " + output + ": " + e.getMessage(), e);
    }
  }

  /** The identity recorded with an existing output, or null. */
  public ModelIdentity existingIdentity() {
    return format == OutputFormat.DELTA ? OutputIdentity.readDeltaProperties(spark, output)
        : OutputIdentity.readSidecar(output, conf());
  }

  /**
   * Fails, before anything is computed, when the mode forbids writing here or the existing
   * output was made with another model.
   */
  public void checkBeforeRun(ModelIdentity identity) {
    requirePartitionsForOverwrite();
    boolean exists = exists();
    switch (mode) {
      case ERROR:
        if (exists) {
          throw new UsageException("Output " + output + " already exists. Use --mode overwrite to replace it, "
              + "--mode append to add rows, or choose another --output.");
        }
        break;
      case APPEND:
      case MERGE:
      case OVERWRITE_PARTITIONS:
        if (exists) {
          OutputIdentity.requireSame(output, existingIdentity(), identity);
          requireSameLayout();
        }
        break;
      default:
        break;
    }
  }

  /**
   * Refuses to add rows in another directory layout to an existing file output: partition
   * directories beside flat part files (or the reverse) make the table unreadable for Spark.
   * Delta keeps its partitioning in the log and needs no such check.
   */
  private void requireSameLayout() {
    if (format == OutputFormat.DELTA) {
      return;
    }
    try {
      Path p = new Path(output);
      FileSystem fs = p.getFileSystem(conf());
      // The column chain of the first partition path: day=.../source=.../
      List<String> existing = new java.util.ArrayList<>();
      Path level = p;
      while (level != null) {
        Path next = null;
        for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(level)) {
          String name = f.getPath().getName();
          if (f.isDirectory() && name.contains("=") && !name.startsWith("_") && !name.startsWith(".")) {
            existing.add(name.substring(0, name.indexOf('=')));
            next = f.getPath();
            break;
          }
        }
        level = next;
      }
      if (!existing.equals(partitionBy)) {
        throw new UsageException("Output " + output + " is " + (existing.isEmpty() ? "not partitioned"
            : "partitioned by " + existing) + ", but this run would write " + (partitionBy.isEmpty() ? "flat files"
            : "partitions by " + partitionBy) + ". Match it with --partition-by (none for flat), or rewrite the "
            + "output once with --mode overwrite.");
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list output " + output + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the Delta table empty, with the schema of {@code rows}, the partitioning and the
   * identity, unless it exists: slices then only ever append to (or merge into) a table.
   */
  public void ensureDeltaTable(Dataset<Row> rows, ModelIdentity identity) {
    if (output == null) {
      createTable(rows.limit(0), identity);
    } else if (!DeltaTable.isDeltaTable(spark, output)) {
      try {
        newDeltaTable(rows.limit(0), "delta.`" + new Path(output).toUri() + "`", identity).create();
      } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) {
        // Made by a concurrent run between the check and the create: the identity check ran already.
      }
    }
  }

  /** Writes {@code rows} and records {@code identity} (when known) with them. */
  public void write(Dataset<Row> rows, ModelIdentity identity) {
    requirePartitionsForOverwrite();
    if (output == null && txnAppId == null) {
      createTable(rows, identity);
      return;
    }
    boolean dynamic = mode == OutputMode.OVERWRITE_PARTITIONS && exists();
    SaveMode saveMode = mode == OutputMode.OVERWRITE || dynamic ? SaveMode.Overwrite
        : mode == OutputMode.APPEND ? SaveMode.Append : SaveMode.ErrorIfExists;
    if (format == OutputFormat.DELTA) {
      if (dynamic) {
        // Delta's dynamic partition overwrite: one commit replaces exactly the partitions in rows.
        rows.write().format("delta").mode(SaveMode.Overwrite).option("partitionOverwriteMode", "dynamic")
            .save(output);
      } else {
        writeDelta(rows, identity, saveMode);
      }
      return;
    }
    var writer = rows.write().mode(saveMode).format(format.source());
    if (!partitionBy.isEmpty()) {
      writer = writer.partitionBy(partitionBy.toArray(new String[0]));
    }
    if (dynamic) {
      writer = writer.option("partitionOverwriteMode", "dynamic");
    }
    writer.save(output);
    if (identity != null) {
      OutputIdentity.writeSidecar(output, identity, Map.of(), conf());
    }
  }

  /**
   * One Delta commit carries both the rows and the identity properties (DataFrameWriterV2 on
   * the path identifier), so a reader never sees the new rows without the model that made them.
   */
  private void writeDelta(Dataset<Row> rows, ModelIdentity identity, SaveMode saveMode) {
    if (txnAppId != null) {
      // An empty table (a new catalog table or path) carrying the identity and the partitioning first;
      // the rows then go in one idempotent commit.
      ensureDeltaTable(rows, identity);
      rows.write().format("delta").mode(SaveMode.Append).option("txnAppId", txnAppId)
          .option("txnVersion", txnVersion).save(output);
      return;
    }
    String ident = "delta.`" + new Path(output).toUri() + "`";
    if (saveMode == SaveMode.Append && DeltaTable.isDeltaTable(spark, output)) {
      try {
        rows.writeTo(ident).append();
      } catch (org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
        throw new IllegalStateException("Delta table " + output + " vanished while appending", e);
      }
      return;
    }
    var writer = newDeltaTable(rows, ident, identity);
    try {
      if (saveMode == SaveMode.Overwrite) {
        writer.createOrReplace();
      } else {
        writer.create();
      }
    } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) {
      throw new UsageException("Output " + output + " already exists. Use --mode overwrite or append.");
    }
  }

  /** A DataFrameWriterV2 that makes {@code table} a Delta table of {@code rows}, partitioned, with the identity. */
  private org.apache.spark.sql.DataFrameWriterV2<Row> newDeltaTable(Dataset<Row> rows, String table,
      ModelIdentity identity) {
    var writer = rows.writeTo(table).using("delta");
    if (!partitionBy.isEmpty()) {
      org.apache.spark.sql.Column[] rest = partitionBy.stream().skip(1).map(org.apache.spark.sql.functions::col)
          .toArray(org.apache.spark.sql.Column[]::new);
      writer = writer.partitionedBy(org.apache.spark.sql.functions.col(partitionBy.get(0)), rest);
    }
    for (Map.Entry<String, String> e : (identity == null ? Map.<String, String>of() : identity.toProperties()).entrySet()) {
      writer = writer.tableProperty(e.getKey(), e.getValue());
    }
    for (Map.Entry<String, String> e : properties.entrySet()) {
      writer = writer.tableProperty(e.getKey(), e.getValue());
    }
    return writer;
  }

  /** One commit creates the catalog table with the rows and the identity properties. */
  private void createTable(Dataset<Row> rows, ModelIdentity identity) {
    try {
      newDeltaTable(rows, newTable, identity).create();
    } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) {
      throw new UsageException("Table " + newTable + " was created by someone else while this run embedded; run again.");
    }
    output = CatalogTable.locationOf(spark, newTable);
  }

  public String output() {
    return output;
  }

  public OutputFormat format() {
    return format;
  }

  public OutputMode mode() {
    return mode;
  }
}
