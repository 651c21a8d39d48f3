package io.gtespark.job.io;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalog.Column;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;

/**
 * The partition columns of an input as its owner laid it out: Hive-style directories
 * ({@code day=2024-01-01/}) of a file input, a partitioned Delta table, or a partitioned catalog
 * table. An enriched copy keeps them, so jobs that read one partition of the output still can.
 */
public final class InputPartitions {
  private InputPartitions() {}

  /** Partition columns of {@code input} in {@code format} (known, not auto), read as {@code df}; empty when none. */
  public static List<String> of(SparkSession spark, String input, InputFormat format, Dataset<Row> df) {
    List<String> out = new ArrayList<>();
    switch (format) {
      case DELTA:
        Row detail = spark.sql("DESCRIBE DETAIL delta.`" + input.replace("`", "``") + "`").first();
        out.addAll(detail.getList(detail.fieldIndex("partitionColumns")));
        break;
      case TABLE:
        try {
          for (Column c : spark.catalog().listColumns(input).collectAsList()) {
            if (c.isPartition()) {
              out.add(c.name());
            }
          }
        } catch (org.apache.spark.sql.AnalysisException e) {
          throw new IllegalStateException("Cannot list the columns of table " + input + ": " + e.getMessage(), e);
        }
        break;
      case TEXT:
        break;
      default:
        scala.collection.Iterator<LogicalPlan> leaves = df.queryExecution().analyzed().collectLeaves().iterator();
        while (leaves.hasNext()) {
          LogicalPlan leaf = leaves.next();
          if (leaf instanceof LogicalRelation && ((LogicalRelation) leaf).relation() instanceof HadoopFsRelation) {
            for (String name : ((HadoopFsRelation) ((LogicalRelation) leaf).relation()).partitionSchema().fieldNames()) {
              out.add(name);
            }
          }
        }
    }
    return out;
  }
}
