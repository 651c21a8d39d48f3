package io.gtespark.job.embed;

import io.gtespark.job.io.OutputColumns;
import io.gtespark.job.io.TableWriter;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EncodeCountersAccumulator;
import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * What every way of committing an {@code embed} shares, checked and resolved before any row is
 * embedded: the engine, the input as read (filtered, with content hashes when the output keeps
 * them), the writer and the columns written.
 */
final class EmbedRun {
  final SparkSession spark;
  final PrintStream out;
  final EncoderSpec spec;
  final ModelIdentity identity;
  final EmbeddingColumns columns;
  final EncodeCountersAccumulator counters;
  final TableWriter writer;
  /** The columns the output holds, in order: kept input columns, vectors, content hashes. */
  final List<String> written;
  final String idCol;
  final List<String> textCols;
  final List<String> vectorCols;
  final Dataset<Row> input;
  /** {@code --partitions}, or null to keep the input's partitioning. */
  final Integer partitions;

  EmbedRun(SparkSession spark, PrintStream out, EncoderSpec spec, ModelIdentity identity, EmbeddingColumns columns,
      EncodeCountersAccumulator counters, TableWriter writer, List<String> written, String idCol,
      List<String> textCols, List<String> vectorCols, Dataset<Row> input, Integer partitions) {
    this.spark = spark;
    this.out = out;
    this.spec = spec;
    this.identity = identity;
    this.columns = columns;
    this.counters = counters;
    this.writer = writer;
    this.written = List.copyOf(written);
    this.idCol = idCol;
    this.textCols = List.copyOf(textCols);
    this.vectorCols = List.copyOf(vectorCols);
    this.input = input;
    this.partitions = partitions;
  }

  /** {@code rows} repartitioned as {@code --partitions} asks (unchanged without it). */
  Dataset<Row> prepared(Dataset<Row> rows) {
    return partitions == null ? rows : rows.repartition(partitions);
  }

  /** {@code rows} with their vectors, reduced to the written columns (lazy: embedding runs when it is written). */
  Dataset<Row> embedded(Dataset<Row> rows) {
    return OutputColumns.select(DatasetEmbedder.embed(rows, spec, columns, counters), written);
  }

  /**
   * Embeds the rows of {@code hashed} whose id is new to the table or whose text changed, and
   * upserts them in one Delta commit, the idempotent commit ({@code txnAppId}, {@code txnVersion})
   * when an app id is given (the table must then exist); returns the rows embedded, exact.
   */
  long upsertChanged(Dataset<Row> hashed, String txnAppId, long txnVersion) {
    DeltaMerge merge = new DeltaMerge(spark, writer.output(), idCol, textCols);
    // Materialised once: Delta's MERGE reads its source more than once, and embedding twice would double the cost.
    Dataset<Row> changed = embedded(merge.changedRows(hashed)).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long rows = changed.count();
      if (txnAppId != null) {
        merge.upsertInTransaction(changed, txnAppId, txnVersion);
      } else {
        merge.upsert(changed, df -> writer.write(df, identity));
      }
      return rows;
    } finally {
      changed.unpersist();
    }
  }
}
