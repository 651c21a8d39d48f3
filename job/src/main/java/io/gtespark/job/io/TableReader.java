package io.gtespark.job.io;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a job's input as a DataFrame. Plain text gives one row per line with columns
 * {@code id} (1-based line number) and {@code text}; CSV is read with a header row.
 */
public final class TableReader {
  /** Column names of plain-text input. */
  public static final String TEXT_ID = "id";
  public static final String TEXT_COLUMN = "text";

  private TableReader() {}

  /** Reads {@code input} in {@code format} (null = detect). */
  public static Dataset<Row> read(SparkSession spark, String input, InputFormat format) {
    InputFormat f = format != null ? format : InputFormat.detect(input, spark.sparkContext().hadoopConfiguration());
    switch (f) {
      case PARQUET:
        return spark.read().parquet(input);
      case DELTA:
        return spark.read().format("delta").load(input);
      case JSON:
        return spark.read().json(input);
      case CSV:
        return spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(input);
      case ORC:
        return spark.read().orc(input);
      case TABLE:
        return spark.table(input);
      case TEXT:
        return readText(spark, input);
      default:
        throw new IllegalStateException("Unhandled input format " + f);
    }
  }

  private static Dataset<Row> readText(SparkSession spark, String input) {
    JavaRDD<Row> rows = spark.read().text(input).javaRDD().zipWithIndex()
        .map(t -> RowFactory.create(t._2() + 1, t._1().getString(0)));
    StructType schema = new StructType().add(TEXT_ID, DataTypes.LongType, false).add(TEXT_COLUMN, DataTypes.StringType, true);
    return spark.createDataFrame(rows, schema);
  }

  /** Column names of a schema, for error messages. */
  public static List<String> columns(StructType schema) {
    return new ArrayList<>(List.of(schema.fieldNames()));
  }
}
