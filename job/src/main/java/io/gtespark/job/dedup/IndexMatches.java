package io.gtespark.job.dedup;

import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.index.IndexSearch;
import io.gtespark.job.index.LakeIndex;
import io.gtespark.job.search.ExactTopK;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.vectors.VectorTable;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code dedup --against INDEX}: the rows of a table that duplicate a row of an index of kept
 * rows (cosine at or above the threshold with it), each with its nearest such indexed row. The
 * indexed rows were kept before, so a match is decided at once: the row is a duplicate of that
 * indexed row, and only the other rows are deduplicated among themselves.
 */
final class IndexMatches {
  private IndexMatches() {}

  /**
   * (id, duplicate_of, score, cluster) for every row of {@code table} with a vector whose nearest
   * indexed row (among the {@code settings.nprobe} cells it is routed to) scores at least
   * {@code threshold}; cluster is the indexed row's id. A row whose id is in the index is not
   * matched with that indexed row (itself, embedded before), only with others. With
   * {@code exactRows} &gt; 0 (the table's rows with a vector, for {@code dedup --exact}) every
   * indexed row is compared instead of the probed cells' rows.
   */
  static Dataset<Row> find(SparkSession spark, LakeIndex index, VectorTable table, double threshold,
      CellSettings settings, long exactRows, int blockRows, SearchCache cache, LongAccumulator pairsScored) {
    DataType indexId = index.allRows().schema().apply(VectorTable.ID).dataType();
    DataType tableId = table.rows().schema().apply(VectorTable.ID).dataType();
    if (!indexId.equals(tableId)) {
      throw new UsageException("dedup --against " + index.path() + ": the index's ids are " + indexId.simpleString()
          + " and the input's --id-col is " + tableId.simpleString() + "; a duplicate names the indexed row it "
          + "repeats by id, so both must be of one type. Cast the id column, or index the corpus by the same id.");
    }
    // Two hits: the nearest other row is found even when the nearest is the row itself.
    Dataset<Row> hits;
    if (exactRows > 0) {
      IndexSearch.sharedModel(index, table);
      hits = ExactTopK.topK(spark, table.withVectors(), exactRows, index.allRows(), index.rows(), 2, false, threshold,
          blockRows, false, cache, pairsScored);
    } else {
      hits = IndexSearch.search(spark, index, table, List.of(), 2, threshold, settings, 0, cache, pairsScored).rows;
    }
    Dataset<Row> others = hits.filter(hits.col("doc_id").notEqual(hits.col("query_id")));
    Dataset<Row> nearest = others.withColumn("_n", functions.row_number().over(Window.partitionBy("query_id")
        .orderBy(functions.col("score").desc(), functions.col("doc_id"))))
        .filter(functions.col("_n").equalTo(1));
    return nearest.select(functions.col("query_id").as(VectorTable.ID),
        functions.col("doc_id").as(NearDuplicateGroups.DUPLICATE_OF),
        functions.col("score").as(NearDuplicateGroups.SCORE),
        functions.col("doc_id").as(NearDuplicateGroups.GROUP));
  }
}
