package io.gtespark.job.search;

import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.TopKHeap;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Partial top-K lists per query (from several scans) merged into one ranked result: a bounded
 * aggregate, so a query never holds more than K candidates in any task, and the shuffle carries
 * at most K per query per scanning task (combined on the map side).
 */
public final class TopKCandidates {
  private TopKCandidates() {}

  /** Output schema: query_id, doc_id, score, rank. */
  public static StructType schema(DataType queryId, DataType docId) {
    return new StructType()
        .add("query_id", queryId, false)
        .add("doc_id", docId, false)
        .add("score", DataTypes.DoubleType, false)
        .add("rank", DataTypes.IntegerType, false);
  }

  /** The schema for two vector tables' id columns. */
  public static StructType schema(Dataset<Row> queries, Dataset<Row> corpus) {
    return schema(queries.schema().apply(VectorTable.ID).dataType(), corpus.schema().apply(VectorTable.ID).dataType());
  }

  /**
   * Merges the partial lists per query (a query may meet its candidates in several tasks, and an
   * id may repeat) and ranks them 1..K: best score first, ties by the smaller doc id.
   */
  public static Dataset<Row> rank(SparkSession spark, JavaRDD<Tuple2<Object, TopKHeap>> partial, StructType schema) {
    return rank(spark, partial, schema, null);
  }

  /** As {@link #rank(SparkSession, JavaRDD, StructType)}, each final list also shown to {@code tap} (when not null). */
  public static Dataset<Row> rank(SparkSession spark, JavaRDD<Tuple2<Object, TopKHeap>> partial, StructType schema,
      RecallProbe.Tap tap) {
    int partitions = Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));
    // A reduceByKey whose shuffle writes ids and lists in a format of its own (TopKListSerializer).
    JavaPairRDD<Object, TopKHeap> lists = JavaPairRDD.fromJavaRDD(partial).combineByKey(list -> list,
        TopKHeap::merge, TopKHeap::merge, new org.apache.spark.HashPartitioner(partitions), true,
        new TopKListSerializer());
    JavaRDD<Row> rows = lists.flatMap(t -> {
      List<Row> out = new ArrayList<>();
      int rank = 1;
      List<TopKHeap.Entry> best = t._2().best();
      if (tap != null) {
        tap.offer(t._1(), best);
      }
      for (TopKHeap.Entry e : best) {
        out.add(RowFactory.create(t._1(), e.id, e.score, rank++));
      }
      return out.iterator();
    });
    return spark.createDataFrame(rows, schema);
  }
}
