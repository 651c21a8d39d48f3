package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputColumns;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EncodeCountersAccumulator;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeoutException;
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
import org.apache.spark.storage.StorageLevel;

/**
 * {@code embed --stream}: Structured Streaming over files arriving in a directory (JSON, Parquet,
 * CSV, ORC) or over a Delta table, into a Delta table. Each micro-batch is embedded and written
 * in one Delta commit carrying ({@code txnAppId} = this checkpoint's id, {@code txnVersion} = the
 * batch id), so a batch replayed after a crash is skipped by Delta: every row exactly once across
 * restarts. The checkpoint records which files (or Delta versions) were taken.
 */
public final class StreamingEmbed {
  /** What a stream needs besides the engine: where it reads, writes and keeps its state. */
  public static final class Source {
    final String input;
    final InputFormat format;
    final String checkpoint;
    final String trigger;
    final String maxFiles;
    final String maxBytes;

    public Source(String input, InputFormat format, String checkpoint, String trigger, String maxFiles,
        String maxBytes) {
      this.input = input;
      this.format = format;
      this.checkpoint = checkpoint;
      this.trigger = trigger == null ? "available-now" : trigger;
      this.maxFiles = maxFiles;
      this.maxBytes = maxBytes;
    }
  }

  private final SparkSession spark;
  private final PrintStream out;

  public StreamingEmbed(SparkSession spark, PrintStream out) {
    this.spark = spark;
    this.out = out;
  }

  /** The streaming rows of {@code source}, with the schema of the files already there (file sources). */
  public Dataset<Row> read(Source source) {
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
   * Runs the stream until its trigger ends it (available-now: once what has arrived is done) and
   * returns the number of micro-batches this run committed. {@code rows} is {@link #read}'s output
   * with the hash columns a merge needs; {@code idCol} is required for merge.
   */
  public long run(Source source, Dataset<Row> rows, EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns,
      List<String> written, TableWriter writer, String idCol, List<String> textCols, boolean merge,
      EncodeCountersAccumulator counters, long startedNanos) {
    Trigger trigger = trigger(source.trigger); // a bad --trigger fails before the table is created
    Dataset<Row> embedded = OutputColumns.select(DatasetEmbedder.embed(rows, spec, columns, counters), written);
    writer.ensureDeltaTable(spark.createDataFrame(List.of(), embedded.schema()), identity);
    String output = writer.output();
    String appId = SlicePlan.runId("stream", List.of(new Path(source.checkpoint).toUri().toString(), output));
    long[] totals = new long[2]; // batches, rows written
    VoidFunction2<Dataset<Row>, Long> body = (batch, batchId) -> {
      long t0 = System.nanoTime();
      long rowsWritten;
      if (merge) {
        DeltaMerge deltaMerge = new DeltaMerge(spark, output, idCol, textCols);
        // Only the batch's new or changed rows are embedded; materialised once because MERGE reads its source twice.
        Dataset<Row> changed = OutputColumns.select(DatasetEmbedder.embed(deltaMerge.changedRows(batch), spec, columns,
            counters), written).persist(StorageLevel.MEMORY_AND_DISK());
        try {
          rowsWritten = changed.count();
          deltaMerge.upsertInTransaction(changed, appId, batchId);
        } finally {
          changed.unpersist();
        }
      } else {
        long before = writer.committedRows();
        OutputColumns.select(DatasetEmbedder.embed(batch, spec, columns, counters), written).write().format("delta")
            .mode(SaveMode.Append).option("txnAppId", appId).option("txnVersion", batchId).save(output);
        rowsWritten = writer.committedRows() - before;
      }
      totals[0]++;
      totals[1] += rowsWritten;
      double secs = (System.nanoTime() - t0) / 1e9;
      out.println(String.format("embed --stream: batch %d committed: %,d rows %s in %.1f s (%.0f rows/s); "
              + "this run: %d batches, %,d rows", batchId, rowsWritten, merge ? "embedded and merged" : "embedded",
          secs, rowsWritten / Math.max(secs, 1e-3), totals[0], totals[1]));
      RunMetrics.of("embed", counters.value(), spec, (System.nanoTime() - startedNanos) / 1e9, totals[1])
          .put("stream", true).put("checkpoint", source.checkpoint).put("trigger", source.trigger)
          .put("txnAppId", appId).put("lastBatchId", batchId).put("batchesCommitted", totals[0])
          .put("mode", merge ? "merge" : "append").put("output", output)
          .writeTo(output, spark.sparkContext().hadoopConfiguration());
    };
    StreamingQuery query;
    try {
      query = rows.writeStream().queryName(appId).option("checkpointLocation", source.checkpoint)
          .trigger(trigger).foreachBatch(body).start();
    } catch (TimeoutException e) {
      throw new IllegalStateException("The stream did not start: " + e.getMessage(), e);
    }
    try {
      query.awaitTermination();
    } catch (StreamingQueryException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException("The stream failed: " + cause.getMessage(), cause);
    }
    return totals[0];
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
