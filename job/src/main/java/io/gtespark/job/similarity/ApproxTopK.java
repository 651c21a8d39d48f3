package io.gtespark.job.similarity;

import io.gtespark.job.vectors.VectorTable;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSH;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Approximate top-K through MLlib's random-projection LSH on unit vectors, where Euclidean
 * distance d and cosine score s agree: s = 1 - d^2 / 2. Pairs are found by
 * {@code approxSimilarityJoin} within the distance of {@code minScore}, then ranked like the
 * exact search. Faster on very large corpora, at the price of missing some neighbours.
 */
public final class ApproxTopK {
  private ApproxTopK() {}

  /** Distance between unit vectors whose inner product is {@code score}. */
  static double distanceFor(double score) {
    return Math.sqrt(Math.max(0, 2 * (1 - score)));
  }

  /** Top-K per query among pairs with score >= {@code minScore}. */
  public static Dataset<Row> topK(Dataset<Row> queries, Dataset<Row> corpus, int k, boolean excludeSelf,
      double minScore, int tables, double bucketLength, long seed) {
    Dataset<Row> q = queries.select(functions.col(VectorTable.ID),
        org.apache.spark.ml.functions.array_to_vector(functions.col(VectorTable.VECTOR)).as("features"));
    Dataset<Row> d = corpus.select(functions.col(VectorTable.ID),
        org.apache.spark.ml.functions.array_to_vector(functions.col(VectorTable.VECTOR)).as("features"));
    BucketedRandomProjectionLSHModel model = new BucketedRandomProjectionLSH()
        .setInputCol("features").setOutputCol("hashes").setNumHashTables(tables).setBucketLength(bucketLength)
        .setSeed(seed).fit(d);
    Dataset<?> joined = model.approxSimilarityJoin(q, d, distanceFor(minScore), "distance");
    Column distance = functions.col("distance");
    Dataset<Row> candidates = joined.select(
        functions.col("datasetA." + VectorTable.ID).as("query_id"),
        functions.col("datasetB." + VectorTable.ID).as("doc_id"),
        functions.lit(1.0).minus(distance.multiply(distance).divide(2)).as("score"));
    if (excludeSelf) {
      candidates = candidates.filter(functions.col("query_id").notEqual(functions.col("doc_id")));
    }
    return ExactTopK.rank(candidates, k);
  }
}
