package io.gtespark.job.similarity;

import io.gtespark.job.vectors.VectorTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Measures an approximate search instead of promising it: a seeded sample of the queries gets
 * its exact top-K by brute force, and recall@K is the share of those exact neighbours that the
 * approximate result also returned. Only the sample's ids and two top-K lists per sampled query
 * reach the driver.
 */
public final class RecallProbe {
  private RecallProbe() {}

  /** Recall of {@code approx} against exact search on a seeded sample of {@code queries}: recallQueries, recallAtK, recallNeighbours. */
  public static Map<String, Object> measure(SparkSession spark, Dataset<Row> queries, Dataset<Row> corpus,
      Dataset<Row> approx, int k, boolean excludeSelf, double minScore, int sampleSize, long seed, int blockRows,
      SearchCache cache) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("recallQueries", 0);
    out.put("recallAtK", null);
    if (sampleSize <= 0) {
      return out;
    }
    // The sample: the queries whose seeded hash of the id is smallest (a top-N per partition, no sort of the table).
    Dataset<Row> ids = queries.select(functions.col(VectorTable.ID).as("_sample_id"))
        .orderBy(functions.hash(functions.col("_sample_id"), functions.lit(seed)), functions.col("_sample_id"))
        .limit(sampleSize);
    Dataset<Row> sample = queries.join(functions.broadcast(ids),
        queries.col(VectorTable.ID).equalTo(ids.col("_sample_id"))).drop("_sample_id");
    Map<Object, Set<Object>> exact = lists(ExactTopK.topK(spark, sample, corpus, k, excludeSelf, minScore, blockRows,
        false, cache, null));
    Map<Object, Set<Object>> found = lists(approx.join(functions.broadcast(ids),
        approx.col("query_id").equalTo(ids.col("_sample_id"))));
    long wanted = 0;
    long hits = 0;
    for (Map.Entry<Object, Set<Object>> e : exact.entrySet()) {
      Set<Object> got = found.getOrDefault(e.getKey(), Set.of());
      for (Object doc : e.getValue()) {
        wanted++;
        if (got.contains(doc)) {
          hits++;
        }
      }
    }
    out.put("recallQueries", ids.count());
    out.put("recallAtK", wanted == 0 ? null : Math.round(10000.0 * hits / wanted) / 10000.0);
    out.put("recallNeighbours", wanted);
    return out;
  }

  private static Map<Object, Set<Object>> lists(Dataset<Row> topK) {
    Map<Object, Set<Object>> m = new HashMap<>();
    for (Row r : topK.select("query_id", "doc_id").collectAsList()) {
      m.computeIfAbsent(r.get(0), x -> new HashSet<>()).add(r.get(1));
    }
    return m;
  }
}
