package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.DeltaTransactions;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.metrics.RunMetrics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;

/**
 * {@code embed --stream}: Structured Streaming over files arriving in a directory (JSON, Parquet,
 * CSV, ORC) or over a Delta table, into a Delta table. Each micro-batch is embedded and written in
 * one Delta commit carrying ({@code txnAppId}, {@code txnVersion} = the batch id), so a batch
 * replayed after a crash is skipped by Delta: every row exactly once across restarts. The app id
 * ends with the checkpoint's own query id (stored in the checkpoint when it is created), so a
 * checkpoint that is deleted and made again is never mistaken for the old one: its batch ids start
 * at 0 again under a new app id. An append over such a reset is refused (it would read every file
 * again and add each row twice); a merge embeds only what the table lacks.
 */
final class StreamCommits implements CommitPlan {
  /** The Spark local property that names the running query's id on its stream thread (StreamExecution.QUERY_ID_KEY). */
  private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  /** What a stream reads and where it keeps its state. */
  static final class Source {
    final String input;
    final InputFormat format;
    final String checkpoint;
    final String trigger;
    final String maxFiles;
    final String maxBytes;

    Source(String input, InputFormat format, String checkpoint, String trigger, String maxFiles, String maxBytes) {
      this.input = input;
      this.format = format;
      this.checkpoint = checkpoint;
      this.trigger = trigger == null ? "available-now" : trigger;
      this.maxFiles = maxFiles;
      this.maxBytes = maxBytes;
    }
  }

  private final SparkSession spark;
  private final Source source;
  private final boolean merge;

  StreamCommits(SparkSession spark, Source source, boolean merge) {
    this.spark = spark;
    this.source = source;
    this.merge = merge;
  }

  /** The streaming rows of the source, with the schema of the files already there (file sources). */
  Dataset<Row> read() {
    DataStreamReader reader = spark.readStream();
    if (source.maxFiles != null) {
      reader = reader.option("maxFilesPerTrigger", source.maxFiles);
    }
    if (source.maxBytes != null) {
      reader = reader.option("maxBytesPerTrigger", source.maxBytes);
    }
    switch (source.format) {
      case DELTA:
        return reader.format("delta").load(source.input);
      case JSON:
      case PARQUET:
      case CSV:
      case ORC:
        // A file stream needs its schema up front: taken from the files present when it starts.
        Dataset<Row> present = TableReader.read(spark, source.input, source.format);
        if (source.format == InputFormat.CSV) {
          reader = reader.option("header", "true").option("multiLine", "true").option("escape", "\"");
        }
        return reader.format(source.format.name().toLowerCase()).schema(present.schema()).load(source.input);
      default:
        throw new UsageException("--stream reads a directory of JSON, Parquet, CSV or ORC files, or a Delta table; "
            + "the input is " + source.format.name().toLowerCase() + ". Plain text has no stable row id in a stream "
            + "(lines are numbered per file in two passes): write it as JSON lines, or embed it as a batch.");
    }
  }

  /**
   * Runs the stream until its trigger ends it (available-now: once what has arrived is done).
   * {@code run}'s input is {@link #read}'s output with the hash columns a merge needs.
   */
  @Override
  public Committed commit(EmbedRun run) {
    Trigger trigger = trigger(source.trigger); // a bad --trigger fails before the table is created
    Dataset<Row> embedded = run.embedded(run.input);
    // Created first (a new catalog table gets its location here): the app ids are keyed by the table's location.
    run.writer.ensureDeltaTable(spark.createDataFrame(List.of(), embedded.schema()), run.identity);
    String table = run.writer.output();
    // The part of the app id that a checkpoint path and an output share; the query id follows it.
    String pathKey = SlicePlan.runId("stream", List.of(new Path(source.checkpoint).toUri().toString(), table));
    if (!merge) {
      refuseResetCheckpoint(pathKey, checkpointQueryId(), table);
    }
    long startedNanos = System.nanoTime();
    long[] totals = new long[2]; // batches, rows written
    VoidFunction2<Dataset<Row>, Long> body = (batch, batchId) -> {
      long t0 = System.nanoTime();
      String appId = pathKey + "-" + queryIdOfThisThread(batch);
      long rowsWritten;
      if (merge) {
        // Two new rows with one id would both be inserted: Delta refuses only two source rows for one existing row.
        DeltaMerge.requireUniqueIds(batch, run.idCol, "micro-batch " + batchId + " (files read together; with "
            + "--max-files-per-trigger 1 each file is merged by itself, a later file's row replacing an earlier one's)");
        rowsWritten = run.upsertChanged(batch, appId, batchId);
      } else {
        long before = run.writer.committedRows();
        run.embedded(batch).write().format("delta").mode(SaveMode.Append).option("txnAppId", appId)
            .option("txnVersion", batchId).save(table);
        rowsWritten = run.writer.committedRows() - before;
      }
      totals[0]++;
      totals[1] += rowsWritten;
      double secs = (System.nanoTime() - t0) / 1e9;
      run.out.println(String.format("embed --stream: batch %d committed: %,d rows %s in %.1f s (%.0f rows/s); "
              + "this run: %d batches, %,d rows", batchId, rowsWritten, merge ? "embedded and merged" : "embedded",
          secs, rowsWritten / Math.max(secs, 1e-3), totals[0], totals[1]));
      RunMetrics.of("embed", run.counters.value(), run.spec, (System.nanoTime() - startedNanos) / 1e9, totals[1])
          .put("stream", true).put("checkpoint", source.checkpoint).put("trigger", source.trigger)
          .put("txnAppId", appId).put("lastBatchId", batchId).put("batchesCommitted", totals[0])
          .put("mode", merge ? "merge" : "append").put("output", table)
          .writeTo(table, spark.sparkContext().hadoopConfiguration());
    };
    StreamingQuery query;
    try {
      // Named by the checkpoint path and output, so two streams of one session are told apart.
      query = run.input.writeStream().queryName(pathKey).option("checkpointLocation", source.checkpoint)
          .trigger(trigger).foreachBatch(body).start();
    } catch (TimeoutException e) {
      throw new IllegalStateException("The stream did not start: " + e.getMessage(), e);
    }
    try {
      query.awaitTermination();
    } catch (StreamingQueryException e) {
      // Spark wraps what a micro-batch threw (in a user-function error); a refusal stays a usage error.
      for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
        if (t instanceof UsageException) {
          throw (UsageException) t;
        }
      }
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException("The stream failed: " + cause.getMessage(), cause);
    }
    run.out.println("embed --stream: stopped after " + totals[0] + " micro-batch(es) in this run; the metrics of "
        + "the last one are in " + table + "/" + RunMetrics.FILE);
    return new Committed(totals[1], null, true);
  }

  /** The query id stored in the checkpoint ({@code metadata}), or null for a checkpoint not created yet. */
  private String checkpointQueryId() {
    Map<String, String> metadata = OutputIdentity.readJson(new Path(source.checkpoint, "metadata"),
        spark.sparkContext().hadoopConfiguration());
    return metadata == null ? null : metadata.get("id");
  }

  /** The id of the query whose micro-batch runs on this thread (Spark sets it on the stream's thread). */
  private static String queryIdOfThisThread(Dataset<Row> batch) {
    String id = batch.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    if (id == null || id.isBlank()) {
      // Without it the commits could not be told apart from another checkpoint's: fail rather than guess.
      throw new IllegalStateException("The streaming query's id is not set on its micro-batch thread (Spark local "
          + "property " + QUERY_ID_PROPERTY + "); the stream cannot commit exactly once.");
    }
    return id;
  }

  /**
   * Refuses an append stream whose checkpoint has not committed to {@code output} while another
   * checkpoint at the same path has: it is new (deleted and made again) or never got as far as a
   * commit, so its file source would read every file again and each row would be appended twice.
   * A checkpoint with commits of its own has read everything since it was made (a merge over a
   * reset does that safely), so it appends what arrives next.
   */
  private void refuseResetCheckpoint(String pathKey, String queryId, String output) {
    java.util.Set<String> apps = DeltaTransactions.of(spark, output).keySet();
    String current = queryId == null ? null : pathKey + "-" + queryId;
    if (current != null && apps.contains(current)) {
      return;
    }
    List<String> earlier = apps.stream().filter(app -> app.startsWith(pathKey + "-")).map(app -> app.substring(
        pathKey.length() + 1)).collect(Collectors.toList());
    // A stream from before app ids carried the query id: a reset when the checkpoint is new.
    if (apps.contains(pathKey) && queryId == null) {
      earlier.add("(not recorded)");
    }
    if (!earlier.isEmpty()) {
      throw new UsageException("Checkpoint " + source.checkpoint + " is not the one whose stream appended to "
          + output + " (that stream's query id: " + String.join(", ", earlier) + "; this checkpoint's: "
          + (queryId == null ? "none, it is new" : queryId + ", with no commit yet") + "). It was deleted or "
          + "replaced, so the stream would read every file again and append each row a second time. Restore the old "
          + "checkpoint to continue, use --mode merge with --id-col (it embeds only what the table lacks), or write "
          + "to a new --output.");
    }
  }

  private static Trigger trigger(String value) {
    if (value.equalsIgnoreCase("available-now")) {
      return Trigger.AvailableNow();
    }
    try {
      return Trigger.ProcessingTime(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--trigger is available-now (process what has arrived, then stop) or an interval "
          + "such as '5 minutes'; '" + value + "' is neither.");
    }
  }
}
