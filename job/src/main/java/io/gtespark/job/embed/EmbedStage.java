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
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.ProgressListener;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EncodeCountersAccumulator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

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
                + "deletes) to a --mode merge output; auto: after the source version the output records (every "
                + "merge from a Delta input records it); a version that would skip changes is refused"),
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
    JobCosts costs = JobCosts.start(spark.sparkContext());
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
    // A Delta input is read at one pinned version, recorded in the metrics and (merge) in the output's log.
    DeltaSource delta = DeltaSource.of(spark, options.get("--input"), inputFormat);
    String sinceVersion = options.get("--since-version");
    if (sinceVersion != null && (delta == null || mode != OutputMode.MERGE)) {
      throw new UsageException("--since-version applies a Delta table's change data feed to a vector table: it "
          + "needs a Delta input (--format delta or a Delta catalog table) and --mode merge with --id-col.");
    }
    SliceSettings slicing = SliceSettings.of(options, outputFormat, mode, stream
        ? "a batch run: a stream commits each micro-batch by itself"
        : sinceVersion != null ? "a whole input: --since-version applies its change set in one commit" : null);
    String location = outputTable == null ? options.get("--output") : CatalogTable.locationOf(spark, outputTable);
    // A resumed append reads the Delta version its first attempt planned on, not the latest.
    SlicePlan resumed = mode == OutputMode.APPEND
        ? SlicedCommits.resumedAppend(slicing, options, location, identity, conf(spark)) : null;
    if (resumed != null && resumed.inputVersion() != null && delta != null) {
      delta = delta.atVersion(resumed.inputVersion());
    }
    // Which source version the output reflects (merge over a Delta input): read and checked before any row is.
    ChangeFeedCursor cursor = mode == OutputMode.MERGE && delta != null ? ChangeFeedCursor.of(spark, location, delta)
        : null;
    Long since = sinceVersion == null ? null : cursor.since(sinceVersion, System.out);
    StreamCommits streamPlan = stream ? new StreamCommits(spark, new StreamCommits.Source(options.get("--input"),
        inputFormat, options.get("--checkpoint"), options.get("--trigger"), options.get("--max-files-per-trigger"),
        options.get("--max-bytes-per-trigger")), mode == OutputMode.MERGE) : null;
    // A sliced run over a Delta table whose files hold its rows reads them as files, so that each
    // slice reads only its own files (Delta's scan reads every file whatever the filter).
    boolean deltaAsFiles = delta != null && !stream && since == null && slicing.enabled() && delta.readableAsFiles();
    // A change feed is kept once read: the rows to embed or update and the ids to delete each read
    // it, and Delta reads the feed of a delete or update made with deletion vectors back from every
    // file it touched, so changes spread over a table would read the table once per use.
    Dataset<Row> feed = since == null ? null
        : delta.changesAfter(since, idCol).persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> input = stream ? streamPlan.read()
        : feed != null ? feed
        : deltaAsFiles ? delta.files()
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
    if (since != null) {
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
    Integer partitions = options.get("--partitions") == null ? null : options.getInt("--partitions");

    EncodeCountersAccumulator counters = new EncodeCountersAccumulator();
    spark.sparkContext().register(counters, ProgressListener.EMBED_COUNTERS);
    EmbedRun run = new EmbedRun(spark, System.out, spec, identity, columns, counters, writer, written, idCol,
        textCols, outputCols, input, partitions);
    SlicedCommits sliced = stream || since != null || !slicing.enabled() ? null
        : SlicedCommits.plan(spark, slicing, options, location, identity, mode == OutputMode.MERGE, delta,
            deltaAsFiles, resumed, input, sliceKeys, idCol, cursor);
    CommitPlan plan = stream ? streamPlan
        : since != null ? new ChangeFeedMerge(cursor, since, deletedIds)
        : sliced != null && sliced.worthSlicing() ? sliced
        : mode == OutputMode.MERGE ? new WholeMerge(sliced == null ? null : sliced.rowsCounted(), cursor)
        : new WholeWrite(mode, partitionBy);
    CommitPlan.Committed committed;
    ProgressListener progress = stream ? null : new ProgressListener("embed", System.out, 10_000);
    if (progress != null) {
      spark.sparkContext().addSparkListener(progress);
    }
    try {
      committed = plan.commit(run);
    } finally {
      if (progress != null) {
        spark.sparkContext().removeSparkListener(progress);
      }
      if (feed != null) {
        feed.unpersist(false);
      }
    }
    if (committed.metricsWritten) {
      costs.stop();
      return;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    RunMetrics metrics = RunMetrics.of("embed", counters.value(), spec, seconds, committed.rowsOut)
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
          .put("rowsSelected", committed.rowsIn != null ? committed.rowsIn : committed.rowsOut);
    }
    committed.metrics.forEach(metrics::put);
    if (delta != null) {
      metrics.put("inputVersion", delta.version());
    }
    metrics.put("countsNote", "rowsOut, rowsIn, rowsEmbedded and rowsUnchanged are exact (counted from the input "
        + "and the committed rows); rows, nulls, empties, truncated, tokens and batches are engine counters, which "
        + "a recomputed or speculative task can add to twice");
    costs.stopInto(metrics);
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
}
