package io.gtespark.tests;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * A Delta source with its change data feed and deletion vectors on, whose rows carry a 6.4 KB
 * body of hex digests that Parquet cannot compress: a table whose bytes are mostly a column the
 * vector tables drop, so that how often a run reads the source shows in its files scanned.
 */
final class DeletionVectorSource {
  private DeletionVectorSource() {}

  /** Writes {@code rows} (with an {@code id}) and their bodies to {@code path} as {@code files} files; returns its bytes. */
  static long write(SparkSession spark, Dataset<Row> rows, String path, int files) {
    Dataset<Row> wide = rows.withColumn("body",
        functions.expr("concat_ws('', transform(sequence(1, 100), i -> sha2(concat(id, '-', i), 256)))"));
    wide.limit(0).write().format("delta").save(path);
    spark.sql("ALTER TABLE delta.`" + path + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true, "
        + "delta.enableDeletionVectors = true)");
    wide.repartition(files).write().format("delta").mode("append").save(path);
    return DeltaTable.forPath(spark, path).detail().first().<Long>getAs("sizeInBytes");
  }
}
