package io.gtespark.job.io;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cli.UsageException;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * A Delta input (a path, or a catalog table stored as Delta) read at one pinned version, or as
 * its change data feed between two versions. Pinning lets a run record exactly which version
 * it embedded, so the next run can ask for the changes after it ({@code --since-version}).
 */
public final class DeltaSource {
  /** Column of the feed rows: true for an id whose last change in the range is a delete. */
  public static final String DELETED = "_gte_deleted";
  private static final String CHANGE_TYPE = "_change_type";
  private static final String COMMIT_VERSION = "_commit_version";
  private static final String COMMIT_TIMESTAMP = "_commit_timestamp";

  private final SparkSession spark;
  private final String input;
  private final String location;
  private final long version;

  private DeltaSource(SparkSession spark, String input, String location, long version) {
    this.spark = spark;
    this.input = input;
    this.location = location;
    this.version = version;
  }

  /** The Delta table behind {@code input} at its latest version, or null when the input is not Delta. */
  public static DeltaSource of(SparkSession spark, String input, InputFormat format) {
    String location;
    if (format == InputFormat.DELTA) {
      location = input;
    } else if (format == InputFormat.TABLE) {
      if (!spark.catalog().tableExists(input)) {
        return null; // the reader says which table is missing
      }
      String provider = spark.sql("DESCRIBE TABLE EXTENDED " + input).filter("col_name = 'Provider'")
          .select("data_type").as(org.apache.spark.sql.Encoders.STRING()).collectAsList().stream()
          .findFirst().orElse("");
      if (!"delta".equalsIgnoreCase(provider.trim())) {
        return null;
      }
      Row detail = spark.sql("DESCRIBE DETAIL " + input).first();
      location = detail.getString(detail.fieldIndex("location"));
    } else {
      return null;
    }
    long latest = DeltaTable.forPath(spark, location).history(1).select("version").first().getLong(0);
    return new DeltaSource(spark, input, location, latest);
  }

  /**
   * The same table pinned at an earlier {@code version}, so that a resumed run reads what its
   * first attempt planned on even if the table has moved on since.
   */
  public DeltaSource atVersion(long version) {
    if (version > this.version) {
      throw new UsageException("Delta input " + input + " is at version " + this.version + ", older than version "
          + version + " that this run was planned on: was the table replaced? Start a new run with --run-id NAME.");
    }
    return new DeltaSource(spark, input, location, version);
  }

  /** The version this source reads: the latest one when it was opened. */
  public long version() {
    return version;
  }

  /** The input as the user named it (a path or a catalog name), for messages. */
  public String name() {
    return input;
  }

  /**
   * The table's id in its Delta metadata: the same at every version, new when the table is
   * deleted and created again, so it tells one source's history from another's.
   */
  public String tableId() {
    Row detail = DeltaTable.forPath(spark, location).detail().first();
    return detail.getString(detail.fieldIndex("id"));
  }

  /** The table as of {@link #version()}, so that what a run embedded is exactly that version. */
  public Dataset<Row> snapshot() {
    return spark.read().format("delta").option("versionAsOf", version).load(location);
  }

  /**
   * True when this table's data files, read as plain Parquet with its schema, are its rows: no
   * reader feature (reader protocol version 1: no deletion vectors, column mapping or type
   * widening) and no partition columns (whose values live in the log, not the files). Then a
   * sliced run can read {@link #files()} a slice at a time instead of scanning the table per slice.
   */
  public boolean readableAsFiles() {
    Row detail = DeltaTable.forPath(spark, location).detail().first();
    return detail.getInt(detail.fieldIndex("minReaderVersion")) == 1
        && detail.getList(detail.fieldIndex("partitionColumns")).isEmpty();
  }

  /**
   * The table as of {@link #version()} read from its data files as Parquet (only when
   * {@link #readableAsFiles()}): the same rows as {@link #snapshot()}, from a file scan whose
   * filter on {@code _metadata.file_path} Spark applies to the file list, which Delta's scan does not.
   */
  public Dataset<Row> files() {
    Dataset<Row> snapshot = snapshot();
    String[] files = snapshot.inputFiles();
    if (files.length == 0) {
      return snapshot;
    }
    return spark.read().schema(snapshot.schema()).parquet(files);
  }

  /** Refuses a {@code --since-version} that is not a version of this table (negative, or after its latest). */
  public void requireVersion(long since) {
    if (since < 0 || since > version) {
      throw new UsageException("--since-version " + since + " is not a version of " + input + ": its versions run "
          + "from 0 to " + version + ". Use --since-version auto to continue from the version the output records.");
    }
  }

  /**
   * The rows that changed after version {@code since} up to {@link #version()}: one row per id
   * with its last state (the source's columns) and {@link #DELETED}. An update counts as its
   * post-image; an id deleted and inserted again in one commit counts as inserted. Empty when
   * {@code since} is the current version.
   */
  public Dataset<Row> changesAfter(long since, String idCol) {
    requireVersion(since);
    Dataset<Row> columns = snapshot().limit(0).withColumn(DELETED, functions.lit(false));
    if (!java.util.Arrays.asList(columns.columns()).contains(idCol)) {
      throw new UsageException("Id column '" + idCol + "' is not in " + input + ". Its columns are "
          + TableReader.columns(snapshot().schema()) + ".");
    }
    if (since == version) {
      return columns;
    }
    Dataset<Row> feed;
    try {
      feed = spark.read().format("delta").option("readChangeFeed", "true")
          .option("startingVersion", since + 1).option("endingVersion", version).load(location);
      // Planning reads the log for the range: a missing feed fails here, before any row is embedded.
      feed.queryExecution().sparkPlan();
    } catch (Exception e) {
      if (!(e instanceof AnalysisException)) {
        throw e;
      }
      throw new UsageException("Cannot read the change data feed of " + input + " from version " + (since + 1)
          + " to " + version + ": " + firstLine(e.getMessage()) + " --since-version needs the table property "
          + "delta.enableChangeDataFeed = true for every version after it (ALTER TABLE ... SET TBLPROPERTIES); "
          + "otherwise run a --mode merge over the whole input.");
    }
    // Later commits win; inside one commit an insert (or update) wins over a delete of the same id.
    Dataset<Row> states = feed.filter(functions.col(CHANGE_TYPE).notEqual("update_preimage"))
        .withColumn(DELETED, functions.col(CHANGE_TYPE).equalTo("delete"));
    Dataset<Row> last = states.withColumn("_gte_rank", functions.row_number().over(
            Window.partitionBy(functions.col(idCol))
                .orderBy(functions.col(COMMIT_VERSION).desc(), functions.col(DELETED).asc())))
        .filter("_gte_rank = 1")
        .drop("_gte_rank", CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP);
    return last.select(columns.columns()[0], java.util.Arrays.copyOfRange(columns.columns(), 1,
        columns.columns().length));
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
