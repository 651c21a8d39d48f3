package io.gtespark.udf.spark;

import io.gtespark.udf.encode.EncoderSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/** Appends vector columns to a {@code Dataset<Row>}: the one place the engine meets a DataFrame. */
public final class DatasetEmbedder {
  private DatasetEmbedder() {}

  /**
   * The input with one {@code array<float>} column per text column, computed lazily by
   * {@link EmbedPartitionFunction}; {@code counters} (nullable) receives the counts.
   */
  public static Dataset<Row> embed(
      Dataset<Row> input, EncoderSpec spec, EmbeddingColumns columns, EncodeCountersAccumulator counters) {
    return input.mapPartitions(
        new EmbedPartitionFunction(spec, columns, counters), Encoders.row(columns.outputSchema()));
  }
}
