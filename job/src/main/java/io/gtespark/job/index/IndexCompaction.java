package io.gtespark.job.index;

import io.gtespark.job.cells.CellAssignment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.functions;

/**
 * Keeps the layout of an index's vectors table as its updates wear it down. A build writes each
 * cell group as one file sorted by cell; every update adds a small unsorted file to most groups
 * (its new and changed rows) and marks the replaced and deleted rows in deletion vectors, which
 * each read still reads and drops. A group past {@code maxFiles} files, or with more than a tenth
 * of its rows deleted, is rewritten as one file sorted by cell, as the build writes it: the same
 * rows, committed with {@code dataChange=false} (Delta's compaction commit), so change readers see
 * no change and a crash leaves the old files in place.
 */
final class IndexCompaction {
  /** A group with more than this share of its written rows deleted is rewritten even with few files. */
  static final double DELETED_SHARE = 0.1;

  private final SparkSession spark;
  private final String vectorsPath;

  IndexCompaction(SparkSession spark, String vectorsPath) {
    this.spark = spark;
    this.vectorsPath = vectorsPath;
  }

  /** One cell group's files as the table's latest snapshot lists them. */
  record GroupFiles(int group, long files, long rows, long deleted) {
    /**
     * Whether the group is worn enough to rewrite, past {@code maxFiles} files (0: never) or its
     * deleted share ({@code rows} 0: files written without statistics, so the share is unknown).
     */
    boolean worn(int maxFiles) {
      return maxFiles > 0 && (files > maxFiles || (rows > 0 && deleted > DELETED_SHARE * rows));
    }
  }

  /** The files, written rows and deleted rows of each cell group, from the Delta log (no data is read). */
  List<GroupFiles> groups() {
    Dataset<Row> files = DeltaLog.forTableWithSnapshot(spark, vectorsPath)._2().allFiles().toDF();
    Dataset<Row> perGroup = files.select(
            files.col("partitionValues").getItem(CellAssignment.CELL_GROUP).cast("int").as("g"),
            functions.get_json_object(files.col("stats"), "$.numRecords").cast("long").as("n"),
            functions.coalesce(files.col("deletionVector.cardinality"), functions.lit(0L)).as("d"))
        .groupBy("g").agg(functions.count(functions.lit(1)), functions.sum("n"), functions.sum("d"));
    List<GroupFiles> out = new ArrayList<>();
    for (Row r : perGroup.collectAsList()) {
      out.add(new GroupFiles(r.getInt(0), r.getLong(1), r.isNullAt(2) ? 0 : r.getLong(2), r.getLong(3)));
    }
    return out;
  }

  /** Files of the vectors table, all groups together. */
  static long files(List<GroupFiles> groups) {
    return groups.stream().mapToLong(GroupFiles::files).sum();
  }

  /**
   * The groups to rewrite: the worn ones ({@link GroupFiles#worn}), the most worn first, at most a
   * {@code maxFiles}th of all groups. Updates wear most groups at the same pace, so without the
   * cap they would all pass the limit on the same day and that update would rewrite the whole
   * table; with it each update rewrites about the share one update wears, and a group holds at
   * most about {@code maxFiles} files once the first round has passed (twice that before).
   */
  static List<GroupFiles> toRewrite(List<GroupFiles> groups, int maxFiles) {
    long cap = (groups.size() + (long) maxFiles - 1) / Math.max(1, maxFiles);
    return groups.stream().filter(g -> g.worn(maxFiles))
        .sorted(Comparator.comparingLong(GroupFiles::files)
            .thenComparingDouble(g -> g.rows() == 0 ? 0 : (double) g.deleted() / g.rows()).reversed())
        .limit(cap).collect(Collectors.toList());
  }

  /**
   * Rewrites the groups {@link #toRewrite} picks, in one commit; returns them (empty: none was
   * worn, and nothing was written).
   */
  List<GroupFiles> compact(List<GroupFiles> groups, int maxFiles) {
    List<GroupFiles> worn = toRewrite(groups, maxFiles);
    if (worn.isEmpty()) {
      return worn;
    }
    String where = "`" + CellAssignment.CELL_GROUP + "` IN (" + worn.stream().map(g -> String.valueOf(g.group()))
        .collect(Collectors.joining(",")) + ")";
    Dataset<Row> rows = spark.read().format("delta").load(vectorsPath).where(where);
    IndexStage.laidOut(rows, worn.size()).write().format("delta").mode("overwrite")
        .option("replaceWhere", where)
        .option("dataChange", "false")
        .save(vectorsPath);
    return worn;
  }
}
