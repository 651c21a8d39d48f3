package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * An output named in the session catalog ({@code --output-table db.table}): a Delta table,
 * through Delta's catalog. An existing table is written at its location, with every check of a
 * path output (model identity, mode); a new one is created by name, so the catalog decides where
 * it lives and records it.
 */
public final class CatalogTable {
  private CatalogTable() {}

  /** The location of existing Delta table {@code name}, or null when the catalog has no such table. */
  public static String locationOf(SparkSession spark, String name) {
    if (!spark.catalog().tableExists(name)) {
      return null;
    }
    Row detail = spark.sql("DESCRIBE DETAIL " + name).first();
    String format = detail.getString(detail.fieldIndex("format"));
    if (!"delta".equalsIgnoreCase(format)) {
      throw new UsageException("--output-table " + name + " is a " + format + " table; gte-spark writes catalog "
          + "tables as Delta. Name a Delta table or a new one, or write a path with --output.");
    }
    return detail.getString(detail.fieldIndex("location"));
  }
}
