package io.gtespark.job.embed;

import io.gtespark.job.Stage;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.CatalogTable;
import io.gtespark.job.io.DeltaSource;
import io.gtespark.job.io.InputFilter;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.InputPartitions;
import io.gtespark.job.io.OutputColumns;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.metrics.ProgressListener;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EncodeCountersAccumulator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code embed}: reads a table, appends one {@code array<float>} vector column per text column,
 * writes the result with the model's identity and a metrics file. Every check that can fail
 * (input, columns, model, output state) runs before any row is embedded.
 */
public final class EmbedStage implements Stage {
  @Override
  public String name() {
    return "embed";
  }

  @Override
  public String summary() {
    return "Adds a sentence-embedding column (array<float>) for each --text-col and writes the table: "
        + "'embedding' for one text column, '<col>_embedding' for several. Null text gives a null vector.";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.required("--input", "spark.gte.input", "input path (any Hadoop-FS URI) or catalog table"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto",
            "auto, parquet, delta, json, csv, text, orc or table"),
        OptionSpec.repeatable("--text-col", "spark.gte.textCols", true, "string column to embed"),
        OptionSpec.repeatable("--output-col", "spark.gte.outputCols", false,
            "vector column name per --text-col (default embedding / <col>_embedding)"),
        OptionSpec.optional("--id-col", "spark.gte.idCol", null, "column that identifies a row (needed by merge)"),
        OptionSpec.optional("--output", "spark.gte.output", null, "output path (or --output-table)"),
        OptionSpec.optional("--output-table", "spark.gte.output.table", null,
            "catalog table to write instead of a path (Delta through Delta's catalog; created if new)"),
        OptionSpec.optional("--output-format", "spark.gte.output.format", null,
            "parquet, delta or json (default parquet; delta for --output-table)"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error",
            "error, overwrite, append, merge or overwrite-partitions (replace only the partitions written)"),
        OptionSpec.optional("--since-version", "spark.gte.input.sinceVersion", null,
            "Delta input with change data feed: apply only the changes after this version (inserts, updates, "
                + "deletes) to a --mode merge output; the last run's inputVersion in _gte_metrics.json"),
        OptionSpec.optional("--where", "spark.gte.input.where", null,
            "SQL predicate on the input, pushed down to the reader (e.g. \"day >= '2024-01-02'\")"),
        OptionSpec.repeatable("--select", "spark.gte.output.select", false,
            "input column to keep in the output (default: all); the vectors are always written"),
        OptionSpec.repeatable("--drop", "spark.gte.output.drop", false, "input column to leave out of the output"),
        OptionSpec.repeatable("--partition-by", "spark.gte.output.partitionBy", false,
            "output partition column (default: the input's own partition columns, if any; none for a flat output)"),
        OptionSpec.optional("--vector-type", "spark.gte.vectorType", "float32",
            "float32 (array<float>) or float16 (binary, half the bytes; read back with gte_vector)"),
        OptionSpec.optional("--txn-app-id", "spark.gte.delta.txnAppId", null,
            "Delta append: a stable name of this pipeline; with --txn-version a rerun never doubles rows"),
        OptionSpec.optional("--txn-version", "spark.gte.delta.txnVersion", null,
            "Delta append: this run's number, increasing per run (e.g. the scheduler's run number)"),
        OptionSpec.optional("--partitions", "spark.gte.partitions", null,
            "repartition the input into N partitions before embedding (default: keep the input's)")));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    long start = System.nanoTime();
    String outputTable = options.get("--output-table");
    if ((outputTable == null) == (options.get("--output") == null)) {
      throw new UsageException("Name where the vectors go: --output PATH or --output-table NAME (one of them).");
    }
    OutputFormat outputFormat = OutputFormat.parse(options.get("--output-format") != null
        ? options.get("--output-format") : outputTable != null ? "delta" : "parquet");
    OutputMode mode = OutputMode.parse(options.get("--mode"));
    String idCol = options.get("--id-col");
    if (mode == OutputMode.MERGE && (outputFormat != OutputFormat.DELTA || idCol == null)) {
      throw new UsageException("--mode merge embeds only new or changed rows into a Delta table: it needs "
          + "--output-format delta and --id-col.");
    }
    // The model first: a broken or missing model fails in a second, before any job reads the input.
    EncoderSpec spec = EngineOptions.settings(spark, options).toSpec(spark);
    // Detected once: the reader and the partition lookup both need it, and detection lists the input.
    InputFormat inputFormat = TableReader.formatOf(spark, options.get("--input"),
        InputFormat.parse(options.get("--format")));
    // A Delta input is read at one pinned version, recorded in the metrics for the next --since-version.
    DeltaSource delta = DeltaSource.of(spark, options.get("--input"), inputFormat);
    Long sinceVersion = options.get("--since-version") == null ? null : options.getLong("--since-version");
    if (sinceVersion != null && (delta == null || mode != OutputMode.MERGE)) {
      throw new UsageException("--since-version applies a Delta table's change data feed to a vector table: it "
          + "needs a Delta input (--format delta or a Delta catalog table) and --mode merge with --id-col.");
    }
    Dataset<Row> input = sinceVersion != null ? delta.changesAfter(sinceVersion, idCol)
        : delta != null ? delta.snapshot() : TableReader.read(spark, options.get("--input"), inputFormat);
    List<String> partitionBy = options.getAll("--partition-by").isEmpty()
        ? InputPartitions.of(spark, options.get("--input"), inputFormat, input)
        : options.getAll("--partition-by").equals(List.of("none")) ? List.of() : options.getAll("--partition-by");
    String where = options.get("--where");
    if (where != null) {
      input = InputFilter.apply(input, where);
    }
    List<String> textCols = options.getAll("--text-col");
    Dataset<Row> deletedIds = null;
    if (sinceVersion != null) {
      deletedIds = input.filter(functions.col(DeltaSource.DELETED)).select(functions.col(idCol));
      input = input.filter(functions.not(functions.col(DeltaSource.DELETED))).drop(DeltaSource.DELETED);
    }
    List<String> outputCols = options.getAll("--output-col").isEmpty()
        ? EmbeddingColumns.defaultVectorColumns(textCols) : options.getAll("--output-col");
    EmbeddingColumns.of(input.schema(), textCols, outputCols);
    if (idCol != null && !Arrays.asList(input.schema().fieldNames()).contains(idCol)) {
      throw new UsageException("Id column '" + idCol + "' is not in the input. Its columns are "
          + TableReader.columns(input.schema()) + ".");
    }
    OutputColumns kept = OutputColumns.of(input.schema(), options.getAll("--select"), options.getAll("--drop"),
        idCol, partitionBy);
    boolean storeHashes = outputFormat == OutputFormat.DELTA && idCol != null;
    if (storeHashes) {
      input = ContentHash.withHashes(input, textCols);
    }
    String vectorType = options.getChoice("--vector-type", "float32", "float16");
    EmbeddingColumns columns = EmbeddingColumns.of(input.schema(), textCols, outputCols, vectorType.equals("float16"));
    ModelIdentity identity = spec.identity().withVectorType(vectorType);
    String location = outputTable == null ? options.get("--output") : CatalogTable.locationOf(spark, outputTable);
    TableWriter writer = new TableWriter(spark, location, outputFormat, mode).partitionBy(partitionBy);
    if (outputTable != null && location == null) {
      writer.creatingTable(outputTable);
    }
    List<String> written = kept.withVectors(outputCols, storeHashes ? ContentHash.columns(textCols) : List.of());
    if (options.get("--txn-app-id") != null || options.get("--txn-version") != null) {
      writer.withTransaction(options.get("--txn-app-id"),
          options.get("--txn-version") == null ? -1 : options.getInt("--txn-version"));
    }
    writer.checkBeforeRun(identity);

    if (options.get("--partitions") != null) {
      input = input.repartition(options.getInt("--partitions"));
    }
    EncodeCountersAccumulator counters = new EncodeCountersAccumulator();
    spark.sparkContext().register(counters, "gte-embed-counters");
    ProgressListener progress = new ProgressListener("embed", System.out, 10_000);
    spark.sparkContext().addSparkListener(progress);
    long[] merged = null;
    long rowsOut;
    try {
      if (mode == OutputMode.MERGE) {
        merged = deletedIds != null
            ? applyChanges(spark, input, deletedIds, idCol, textCols, spec, identity, columns, counters, writer,
                written, outputCols)
            : merge(spark, input, idCol, textCols, spec, identity, columns, counters, writer, written);
        rowsOut = merged[1];
      } else {
        long before = mode == OutputMode.APPEND && writer.exists() ? writer.committedRows() : 0;
        writer.write(OutputColumns.select(DatasetEmbedder.embed(input, spec, columns, counters), written), identity);
        // Exact, from the committed output: the accumulators below can count a recomputed task twice.
        // An overwrite of some partitions counts the rows of the partitions this run's input has.
        rowsOut = mode == OutputMode.OVERWRITE_PARTITIONS
            ? writer.committedRowsIn(OutputColumns.select(input, partitionBy).distinct())
            : writer.committedRows() - before;
      }
    } finally {
      spark.sparkContext().removeSparkListener(progress);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    RunMetrics metrics = RunMetrics.of("embed", counters.value(), spec, seconds, rowsOut)
        .put("textColumns", textCols.size())
        .put("output", writer.output())
        .put("outputTable", outputTable)
        .put("outputFormat", outputFormat.source())
        .put("mode", mode.name().toLowerCase().replace('_', '-'))
        .put("vectorType", vectorType)
        .put("partitionBy", partitionBy)
        .put("columns", written);
    if (where != null) {
      metrics.put("where", where).put("wherePushedDown", InputFilter.pushedDown(input))
          .put("rowsSelected", merged != null ? merged[0] : rowsOut);
    }
    if (merged != null) {
      metrics.put("rowsIn", merged[0]).put("rowsEmbedded", merged[1]).put("rowsUnchanged", merged[0] - merged[1]);
    }
    if (delta != null) {
      metrics.put("inputVersion", delta.version());
    }
    if (sinceVersion != null) {
      metrics.put("sinceVersion", sinceVersion).put("rowsDeleted", merged[2]);
    }
    metrics.put("countsNote", "rowsOut, rowsIn, rowsEmbedded and rowsUnchanged are exact (counted from the input "
        + "and the committed rows); rows, nulls, empties, truncated, tokens and batches are engine counters, which "
        + "a recomputed or speculative task can add to twice");
    metrics.writeTo(writer.output(), spark.sparkContext().hadoopConfiguration());
    System.out.println(metrics.summary());
  }

  /**
   * Applies a change feed in one Delta commit: embeds the inserted rows and those whose text
   * changed, updates the other columns of rows whose text did not, deletes the deleted ids.
   * Returns {inserted or updated rows, rows embedded, rows deleted}, exact; the difference of the
   * first two is the rows whose text did not change.
   */
  private static long[] applyChanges(SparkSession spark, Dataset<Row> upserts, Dataset<Row> deletedIds,
      String idCol, List<String> textCols, EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns,
      EncodeCountersAccumulator counters, TableWriter writer, List<String> written, List<String> vectorCols) {
    DeltaMerge merge = new DeltaMerge(spark, writer.output(), idCol, textCols);
    if (!merge.tableExists()) {
      throw new UsageException("--since-version updates a vector table that an earlier embed made, but "
          + writer.output() + " is not a Delta table yet: run the same command once without --since-version.");
    }
    Dataset<Row> hashed = ContentHash.withHashes(upserts, textCols);
    List<String> plain = new ArrayList<>(written);
    plain.removeAll(vectorCols);
    Dataset<Row> embedded = OutputColumns.select(DatasetEmbedder.embed(merge.changedRows(hashed), spec, columns,
        counters), written);
    // Materialised once: MERGE reads its source more than once, and embedding twice would double the cost.
    Dataset<Row> changes = DeltaMerge.changeSet(embedded, OutputColumns.select(merge.sameTextRows(hashed), plain),
        deletedIds).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long[] actions = DeltaMerge.countActions(changes);
      merge.applyChanges(changes, written, vectorCols);
      return new long[] {actions[0] + actions[1], actions[0], actions[2]};
    } finally {
      changes.unpersist();
    }
  }

  /** Embeds and upserts only new or changed rows; returns {input rows, rows embedded}, both exact. */
  private static long[] merge(SparkSession spark, Dataset<Row> hashed, String idCol, List<String> textCols,
      EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns, EncodeCountersAccumulator counters,
      TableWriter writer, List<String> written) {
    // One pass over the input for all counts; a null id counts as one distinct value, as DISTINCT does.
    Row counts = hashed.agg(functions.count(functions.lit(1)), functions.countDistinct(hashed.col(idCol)),
        functions.count(functions.when(hashed.col(idCol).isNull(), 1))).first();
    long rowsIn = counts.getLong(0);
    long distinctIds = counts.getLong(1) + (counts.getLong(2) > 0 ? 1 : 0);
    if (distinctIds != rowsIn) {
      throw new UsageException("--mode merge needs a unique --id-col, but '" + idCol + "' has "
          + (rowsIn - distinctIds) + " duplicate value(s) in the input. Deduplicate the input first.");
    }
    DeltaMerge merge = new DeltaMerge(spark, writer.output(), idCol, textCols);
    // Materialised once: Delta's MERGE reads its source more than once, and embedding twice would double the cost.
    Dataset<Row> embedded = OutputColumns.select(DatasetEmbedder.embed(merge.changedRows(hashed), spec, columns,
        counters), written).persist(StorageLevel.MEMORY_AND_DISK());
    long changed;
    try {
      changed = embedded.count();
      merge.upsert(embedded, df -> writer.write(df, identity));
    } finally {
      embedded.unpersist();
    }
    return new long[] {rowsIn, changed};
  }
}
