package io.gtespark.job.io;

import org.apache.spark.sql.SparkSession;

/**
 * Sizes the vectorized Parquet and ORC readers' batches for vector columns. Spark's default of
 * 4096 rows is meant for scalar columns; with 1536 floats a row one batch of one task holds
 * about 6 million values and their levels, and two such tasks overflowed a 512 MiB executor.
 * The batch is lowered to about {@value #VALUES_PER_BATCH} vector values, never raised, so a
 * smaller setting of the user's stands.
 */
public final class ReaderBatchSize {
  static final int VALUES_PER_BATCH = 1 << 20;
  static final String[] KEYS = {"spark.sql.parquet.columnarReaderBatchSize", "spark.sql.orc.columnarReaderBatchSize"};

  private ReaderBatchSize() {}

  /** Rows per reader batch for vectors of {@code dimension} values. */
  static int rowsFor(int dimension) {
    return Math.max(64, Math.min(4096, VALUES_PER_BATCH / Math.max(1, dimension)));
  }

  /** Lowers the session's reader batch sizes to fit vectors of {@code dimension} values. */
  public static void fit(SparkSession spark, int dimension) {
    int rows = rowsFor(dimension);
    for (String key : KEYS) {
      int current = Integer.parseInt(spark.conf().get(key, "4096"));
      if (rows < current) {
        spark.conf().set(key, rows);
      }
    }
  }
}
