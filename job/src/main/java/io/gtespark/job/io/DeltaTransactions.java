package io.gtespark.job.io;

import io.delta.tables.DeltaTable;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The idempotent-write records of a Delta table: each {@code txnAppId} a writer committed with,
 * and the highest {@code txnVersion} recorded for it, as of the table's latest version. Delta
 * skips a write whose version is at or below the recorded one; gte-spark reads them to know what
 * a rerun would skip (slices, micro-batches) and which source version a table reflects.
 */
public final class DeltaTransactions {
  private DeltaTransactions() {}

  /** App id to highest version, sorted by app id; empty when {@code table} is not a Delta table. */
  public static Map<String, Long> of(SparkSession spark, String table) {
    Map<String, Long> out = new TreeMap<>();
    if (table == null || !DeltaTable.isDeltaTable(spark, table)) {
      return out;
    }
    CollectionConverters.asJava(DeltaLog.forTableWithSnapshot(spark, table)._2().transactions())
        .forEach((app, version) -> out.put(app, ((Number) version).longValue()));
    return out;
  }

  /** The highest version recorded for {@code appId}, or -1. */
  public static long lastVersion(SparkSession spark, String table, String appId) {
    return of(spark, table).getOrDefault(appId, -1L);
  }
}
