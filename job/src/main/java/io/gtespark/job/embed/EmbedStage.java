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
  /** Rows per Delta commit when --commit-rows is not given: an hour or two of one executor's work on CPU. */
  public static final long DEFAULT_COMMIT_ROWS = 1_000_000L;

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
        OptionSpec.deferring("--commit-rows", "spark.gte.output.commitRows", DEFAULT_COMMIT_ROWS + " (Delta append and merge)",
            "Delta append or merge: commit in slices of about N rows, each an idempotent commit; a rerun of the same "
                + "command after a crash embeds only the slices not committed (0: one commit)"),
        OptionSpec.optional("--run-id", "spark.gte.output.runId", null,
            "name of a sliced run (default: derived from input, output, model and settings); a new name starts "
                + "a new run over the same table"),
        OptionSpec.flag("--stream", "spark.gte.stream",
            "Structured Streaming: embed the files arriving in --input (or a Delta table's new versions) into a "
                + "Delta --output, exactly once across restarts (needs --checkpoint)"),
        OptionSpec.optional("--checkpoint", "spark.gte.stream.checkpoint", null,
            "--stream: the stream's checkpoint directory (which files or versions are done)"),
        OptionSpec.optional("--trigger", "spark.gte.stream.trigger", "available-now",
            "--stream: available-now (what has arrived, then stop) or an interval such as '5 minutes'"),
        OptionSpec.optional("--max-files-per-trigger", "spark.gte.stream.maxFilesPerTrigger", null,
            "--stream: at most N new files per micro-batch"),
        OptionSpec.optional("--max-bytes-per-trigger", "spark.gte.stream.maxBytesPerTrigger", null,
            "--stream: about at most this many bytes per micro-batch (e.g. 1g)"),
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
    boolean stream = options.isOn("--stream");
    OutputFormat outputFormat = OutputFormat.parse(options.get("--output-format") != null
        ? options.get("--output-format") : outputTable != null || stream ? "delta" : "parquet");
    OutputMode mode = OutputMode.parse(options.get("--mode"));
    if (stream) {
      mode = requireStreamable(options, outputFormat, mode);
    }
    String idCol = options.get("--id-col");
    if (mode == OutputMode.MERGE && (outputFormat != OutputFormat.DELTA || idCol == null)) {
      throw new UsageException("--mode merge embeds only new or changed rows into a Delta table: it needs "
          + "--output-format delta and --id-col.");
    }
    // The model first: a broken or missing model fails in a second, before any job reads the input.
    EncoderSpec spec = EngineOptions.settings(spark, options).toSpec(spark);
    String vectorType = options.getChoice("--vector-type", "float32", "float16");
    ModelIdentity identity = spec.identity().withVectorType(vectorType);
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
    SliceSettings slicing = SliceSettings.of(options, outputFormat, mode, stream
        ? "a batch run: a stream commits each micro-batch by itself"
        : sinceVersion != null ? "a whole input: --since-version applies its change set in one commit" : null);
    String location = outputTable == null ? options.get("--output") : CatalogTable.locationOf(spark, outputTable);
    // A resumed append reads the Delta version its first attempt planned on, not the latest.
    SlicePlan resumed = slicing.enabled() && mode == OutputMode.APPEND
        ? SlicePlan.load(location, slicing.runId(options, location, identity, null), conf(spark)) : null;
    if (resumed != null && resumed.inputVersion() != null && delta != null) {
      delta = delta.atVersion(resumed.inputVersion());
    }
    StreamingEmbed.Source streamSource = stream ? new StreamingEmbed.Source(options.get("--input"), inputFormat,
        options.get("--checkpoint"), options.get("--trigger"), options.get("--max-files-per-trigger"),
        options.get("--max-bytes-per-trigger")) : null;
    Dataset<Row> input = stream ? new StreamingEmbed(spark, System.out).read(streamSource)
        : sinceVersion != null ? delta.changesAfter(sinceVersion, idCol)
        : delta != null ? delta.snapshot() : TableReader.read(spark, options.get("--input"), inputFormat);
    List<String> partitionBy = stream ? partitionsOfStream(options) : options.getAll("--partition-by").isEmpty()
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
    // Slices are cut by a hash of the id, or of the whole input row: the same rows on every run.
    List<String> sliceKeys = idCol != null ? List.of(idCol) : List.of(input.columns());
    boolean storeHashes = outputFormat == OutputFormat.DELTA && idCol != null;
    if (storeHashes) {
      input = ContentHash.withHashes(input, textCols);
    }
    EmbeddingColumns columns = EmbeddingColumns.of(input.schema(), textCols, outputCols, vectorType.equals("float16"));
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
    if (stream) {
      EncodeCountersAccumulator counters = new EncodeCountersAccumulator();
      spark.sparkContext().register(counters, ProgressListener.EMBED_COUNTERS);
      long batches = new StreamingEmbed(spark, System.out).run(streamSource, input, spec, identity, columns, written,
          writer, idCol, textCols, mode == OutputMode.MERGE, counters, start);
      System.out.println("embed --stream: stopped after " + batches + " micro-batch(es) in this run; the metrics of "
          + "the last one are in " + writer.output() + "/" + RunMetrics.FILE);
      return;
    }

    Integer partitions = options.get("--partitions") == null ? null : options.getInt("--partitions");
    SlicePlan plan = null;
    Long rowsCounted = null; // the input's rows when planning counted them, so that merge does not count again
    if (slicing.enabled()) {
      String fingerprint = delta != null ? InputFingerprint.ofDelta(options.get("--input"), delta.version())
          : InputFingerprint.ofFiles(input, options.get("--input"), conf(spark));
      String runId = slicing.runId(options, location, identity, mode == OutputMode.MERGE ? fingerprint : null);
      plan = resumed != null ? resumed : SlicePlan.load(location, runId, conf(spark));
      if (plan != null) {
        plan.requireSameInput(fingerprint, options.get("--input"), mode == OutputMode.APPEND);
      } else {
        long rowsIn = mode == OutputMode.MERGE ? requireUniqueIds(input, idCol) : input.count();
        plan = SlicePlan.of(runId, rowsIn, slicing.commitRows(), fingerprint, delta == null ? null : delta.version());
        rowsCounted = rowsIn;
        if (plan.slices() == 1 && !slicing.named()) {
          plan = null; // small enough for the one commit of an unsliced run
        }
      }
    }
    if (partitions != null && plan == null) {
      input = input.repartition(partitions);
    }
    EncodeCountersAccumulator counters = new EncodeCountersAccumulator();
    spark.sparkContext().register(counters, ProgressListener.EMBED_COUNTERS);
    ProgressListener progress = new ProgressListener("embed", System.out, 10_000);
    spark.sparkContext().addSparkListener(progress);
    long[] merged = null;
    long rowsOut;
    SlicedEmbed.Outcome sliced = null;
    try {
      if (plan != null) {
        writer.ensureDeltaTable(OutputColumns.select(DatasetEmbedder.embed(input, spec, columns, counters), written),
            identity);
        plan.save(writer.output(), conf(spark));
        java.util.function.Function<Dataset<Row>, Dataset<Row>> prepare =
            rows -> partitions == null ? rows : rows.repartition(partitions);
        SlicedEmbed slices = new SlicedEmbed(spark, plan, sliceKeys, System.out);
        if (mode == OutputMode.MERGE) {
          sliced = slices.run(input, writer.output(), prepare,
              (rows, runId, slice) -> upsertChanged(spark, rows, idCol, textCols, spec, identity, columns, counters,
                  writer, written, runId, slice));
          merged = new long[] {plan.rowsIn(), sliced.rowsEmbedded};
        } else {
          // One count of the committed table per slice: the count after a slice is the one before the next.
          long[] committed = {writer.committedRows()};
          sliced = slices.run(input, writer.output(), prepare, (rows, runId, slice) -> {
            writer.withTransaction(runId, slice);
            writer.write(OutputColumns.select(DatasetEmbedder.embed(rows, spec, columns, counters), written), identity);
            long added = writer.committedRows() - committed[0];
            committed[0] += added;
            return added;
          });
        }
        // Exact either way: counted from the committed table (append) or from the persisted changed rows (merge).
        rowsOut = sliced.rowsEmbedded;
      } else if (mode == OutputMode.MERGE) {
        merged = deletedIds != null
            ? applyChanges(spark, input, deletedIds, idCol, textCols, spec, identity, columns, counters, writer,
                written, outputCols)
            : merge(spark, input, idCol, textCols, spec, identity, columns, counters, writer, written, rowsCounted);
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
          .put("rowsSelected", merged != null ? merged[0] : plan != null ? plan.rowsIn() : rowsOut);
    }
    if (merged != null) {
      metrics.put("rowsIn", merged[0]).put("rowsEmbedded", merged[1]).put("rowsUnchanged", merged[0] - merged[1]);
    } else if (plan != null) {
      metrics.put("rowsIn", plan.rowsIn()).put("rowsEmbedded", rowsOut);
    }
    if (plan != null) {
      metrics.put("runId", plan.runId()).put("commitRows", slicing.commitRows()).put("slicesTotal", plan.slices())
          .put("slicesCommitted", sliced.committed).put("slicesSkipped", sliced.skipped);
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
   * The mode of a stream (append unless merge was asked; the default "error" means nothing for a
   * table that every micro-batch adds to), after refusing options a stream cannot honour.
   */
  private static OutputMode requireStreamable(StageOptions options, OutputFormat format, OutputMode mode) {
    if (options.get("--checkpoint") == null) {
      throw new UsageException("--stream needs --checkpoint DIR: the directory where the stream records which files "
          + "(or Delta versions) it has embedded, so a restart neither skips nor repeats any.");
    }
    if (format != OutputFormat.DELTA) {
      throw new UsageException("--stream writes a Delta table (each micro-batch one idempotent commit): use "
          + "--output-format delta.");
    }
    for (String flag : List.of("--since-version", "--txn-app-id", "--txn-version", "--partitions")) {
      if (options.get(flag) != null) {
        throw new UsageException(flag + " does not apply to --stream: leave it out (a stream reads only what is new).");
      }
    }
    if (mode == OutputMode.ERROR) {
      return OutputMode.APPEND;
    }
    if (mode != OutputMode.APPEND && mode != OutputMode.MERGE) {
      throw new UsageException("--stream appends or merges each micro-batch: use --mode append or --mode merge.");
    }
    return mode;
  }

  private static List<String> partitionsOfStream(StageOptions options) {
    List<String> given = options.getAll("--partition-by");
    return given.equals(List.of("none")) ? List.of() : given;
  }

  private static org.apache.hadoop.conf.Configuration conf(SparkSession spark) {
    return spark.sparkContext().hadoopConfiguration();
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

  /**
   * Embeds and upserts only new or changed rows; returns {input rows, rows embedded}, both exact.
   * {@code uniqueRowsCounted}: the input's rows if already counted with unique ids, else null.
   */
  private static long[] merge(SparkSession spark, Dataset<Row> hashed, String idCol, List<String> textCols,
      EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns, EncodeCountersAccumulator counters,
      TableWriter writer, List<String> written, Long uniqueRowsCounted) {
    long rowsIn = uniqueRowsCounted != null ? uniqueRowsCounted : requireUniqueIds(hashed, idCol);
    long changed = upsertChanged(spark, hashed, idCol, textCols, spec, identity, columns, counters, writer, written,
        null, -1);
    return new long[] {rowsIn, changed};
  }

  /** The input's rows, after checking in one pass that {@code idCol} identifies each (merge keys on it). */
  private static long requireUniqueIds(Dataset<Row> input, String idCol) {
    // A null id counts as one distinct value, as DISTINCT does.
    Row counts = input.agg(functions.count(functions.lit(1)), functions.countDistinct(input.col(idCol)),
        functions.count(functions.when(input.col(idCol).isNull(), 1))).first();
    long rowsIn = counts.getLong(0);
    long distinctIds = counts.getLong(1) + (counts.getLong(2) > 0 ? 1 : 0);
    if (distinctIds != rowsIn) {
      throw new UsageException("--mode merge needs a unique --id-col, but '" + idCol + "' has "
          + (rowsIn - distinctIds) + " duplicate value(s) in the input. Deduplicate the input first.");
    }
    return rowsIn;
  }

  /**
   * Embeds the rows of {@code hashed} that are new or changed and upserts them in one Delta
   * commit, the idempotent commit ({@code txnAppId}, {@code txnVersion}) when an app id is given;
   * returns the rows embedded, exact.
   */
  private static long upsertChanged(SparkSession spark, Dataset<Row> hashed, String idCol, List<String> textCols,
      EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns, EncodeCountersAccumulator counters,
      TableWriter writer, List<String> written, String txnAppId, long txnVersion) {
    DeltaMerge merge = new DeltaMerge(spark, writer.output(), idCol, textCols);
    // Materialised once: Delta's MERGE reads its source more than once, and embedding twice would double the cost.
    Dataset<Row> embedded = OutputColumns.select(DatasetEmbedder.embed(merge.changedRows(hashed), spec, columns,
        counters), written).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long changed = embedded.count();
      if (txnAppId != null) {
        merge.upsertInTransaction(embedded, txnAppId, txnVersion);
      } else {
        merge.upsert(embedded, df -> writer.write(df, identity));
      }
      return changed;
    } finally {
      embedded.unpersist();
    }
  }
}
