package io.gtespark.job.cluster;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.clustering.BisectingKMeans;
import org.apache.spark.ml.clustering.BisectingKMeansModel;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.evaluation.ClusteringEvaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Fits a vector table and derives assignments, sizes and representatives: the default cosine
 * k-means goes to {@link SphericalClustering}; MLlib's KMeans and BisectingKMeans run here on
 * cached ML vectors.
 */
public final class VectorClusterer {
  private final ClusterSettings settings;
  private long phaseStart = System.nanoTime();

  VectorClusterer(ClusterSettings settings) {
    this.settings = settings;
  }

  /** Clusters the rows of {@code table} that have a vector; rows without one are counted, not fitted. */
  public ClusterResult fit(VectorTable table) {
    if (settings.spherical()) {
      return new SphericalClustering(settings, this::phase).run(table);
    }
    long total = table.rows().count();
    // MLlib's fits read cached ML vectors on every pass.
    Dataset<Row> rows = withFeatures(table.withVectors()).cache();
    try {
      return fit(table, rows, total);
    } catch (RuntimeException e) {
      rows.unpersist();
      throw e;
    }
  }

  private ClusterResult fit(VectorTable table, Dataset<Row> rows, long total) {
    long n = rows.count();
    phase("rows read and cached");
    if (n < 2) {
      throw new UsageException("Clustering needs at least 2 rows with a vector; the input has " + n + " (of " + total
          + " rows, the rest have null vectors).");
    }
    Map<Integer, Double> tried = new LinkedHashMap<>();
    Model<?> model;
    int k;
    if (settings.k == 0) {
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      Model<?> bestModel = null;
      for (int candidate = settings.kMin; candidate <= Math.min(settings.kMax, n - 1); candidate++) {
        Model<?> m = train(rows, candidate);
        double s = silhouette(m.transform(rows), n);
        tried.put(candidate, s);
        if (s > bestScore) {
          bestScore = s;
          best = candidate;
          bestModel = m;
        }
      }
      if (bestModel == null) {
        throw new UsageException("--k auto found no k to try between " + settings.kMin + " and " + settings.kMax
            + " for " + n + " rows.");
      }
      k = best;
      model = bestModel;
    } else {
      if (settings.k > n) {
        throw new UsageException("--k " + settings.k + " is more than the " + n + " rows with vectors.");
      }
      k = settings.k;
      model = train(rows, k);
    }
    // Only the fitted rows and the final assignments are cached: a third cached copy of every
    // vector (the predictions) pushed a 200k-row run under a 2 GiB heap into spills and full GCs.
    float[][] centroids = floatCentroids(model);
    UserDefinedFunction distance = functions.udf(new CentroidDistance(centroids, settings.cosine),
        DataTypes.DoubleType);
    Dataset<Row> assigned = model.transform(rows).withColumn("distance",
        distance.apply(functions.col(VectorTable.VECTOR), functions.col("cluster"))).cache();
    try {
      return summarise(table, model, k, n, total, tried, centroids, assigned, rows);
    } catch (RuntimeException e) {
      assigned.unpersist();
      throw e;
    }
  }

  private ClusterResult summarise(VectorTable table, Model<?> model, int k, long n, long total,
      Map<Integer, Double> tried, float[][] centroids, Dataset<Row> assigned, Dataset<Row> rows) {
    Dataset<Row> assignments = assigned.select(functions.col(VectorTable.ID).as("id"), functions.col("cluster"),
        functions.col("distance"));

    SparkSession spark = rows.sparkSession();
    Map<Integer, Long> sizes = new LinkedHashMap<>();
    for (Row r : assigned.groupBy("cluster").count().collectAsList()) {
      sizes.put(r.getInt(0), r.getLong(1));
    }
    phase("rows assigned to their clusters");
    double silhouette = tried.containsKey(k) ? tried.get(k) : silhouette(assigned, n);
    phase("silhouette");
    rows.unpersist();
    Dataset<Row> centroidTable = centroidTable(spark, centroids, sizes);

    Dataset<Row> representatives = null;
    if (table.hasText() && settings.representatives > 0) {
      representatives = assigned
          .withColumn("rank", functions.row_number().over(
              Window.partitionBy("cluster").orderBy(functions.col("distance").asc(), functions.col(VectorTable.ID).asc())))
          .filter(functions.col("rank").leq(settings.representatives))
          .select(functions.col("cluster"), functions.col("rank"), functions.col(VectorTable.ID).as("id"),
              functions.col(VectorTable.TEXT).as("text"), functions.col("distance"));
    }
    Map<String, Object> summary = summary(settings, k, total, n, silhouette, Math.min(n, SILHOUETTE_ROWS),
        n > SILHOUETTE_ROWS, cost(model), sizes, tried);
    Dataset<Row> reps = representatives;
    return new ClusterResult(assignments, centroidTable, reps == null ? null : () -> reps, summary,
        assigned::unpersist, (org.apache.spark.ml.util.MLWritable) model);
  }

  /** (cluster, size, centroid) of a fit. */
  static Dataset<Row> centroidTable(SparkSession spark, float[][] centroids, Map<Integer, Long> sizes) {
    List<Row> centroidRows = new ArrayList<>();
    for (int c = 0; c < centroids.length; c++) {
      List<Float> values = new ArrayList<>();
      for (float f : centroids[c]) {
        values.add(f);
      }
      centroidRows.add(RowFactory.create(c, sizes.getOrDefault(c, 0L), values));
    }
    return spark.createDataFrame(centroidRows, new StructType()
        .add("cluster", DataTypes.IntegerType, false)
        .add("size", DataTypes.LongType, false)
        .add("centroid", DataTypes.createArrayType(DataTypes.FloatType, false), false));
  }

  /** The summary.json of a clustering: the choices made, the counts, the quality and the sizes. */
  static Map<String, Object> summary(ClusterSettings settings, int k, long total, long n, double silhouette,
      long silhouetteRows, boolean silhouetteSampled, double cost, Map<Integer, Long> sizes,
      Map<Integer, Double> tried) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("k", k);
    summary.put("algorithm", settings.bisecting ? "bisecting" : settings.spherical() ? "kmeans (spherical, SGEMM)"
        : settings.mllibKMeans ? "mllib-kmeans" : "kmeans");
    summary.put("distance", settings.cosine ? "cosine" : "euclidean");
    summary.put("seed", settings.seed);
    summary.put("rows", total);
    summary.put("clusteredRows", n);
    summary.put("excludedNullVectors", total - n);
    summary.put("silhouette", silhouette);
    summary.put("silhouetteRows", silhouetteRows);
    summary.put("silhouetteSampled", silhouetteSampled);
    summary.put("cost", cost);
    summary.put("sizes", sizes);
    if (!tried.isEmpty()) {
      summary.put("silhouetteByK", tried);
    }
    return summary;
  }

  private Model<?> train(Dataset<Row> rows, int k) {
    if (settings.bisecting) {
      return new BisectingKMeans().setK(k).setSeed(settings.seed).setMaxIter(settings.maxIter)
          .setDistanceMeasure(settings.cosine ? "cosine" : "euclidean").setFeaturesCol("features")
          .setPredictionCol("cluster").fit(rows);
    }
    return new KMeans().setK(k).setSeed(settings.seed).setMaxIter(settings.maxIter).setTol(settings.tol)
        .setDistanceMeasure(settings.cosine ? "cosine" : "euclidean").setFeaturesCol("features")
        .setPredictionCol("cluster").fit(rows);
  }

  /** One console line per finished phase with its seconds, so a slow step shows itself. */
  private void phase(String what) {
    long now = System.nanoTime();
    System.out.printf("cluster: %s (%.1f s)%n", what, (now - phaseStart) / 1e9);
    phaseStart = now;
  }

  private static Dataset<Row> withFeatures(Dataset<Row> rows) {
    return rows.withColumn("features", org.apache.spark.ml.functions.array_to_vector(functions.col(VectorTable.VECTOR)));
  }

  /** Rows the silhouette is measured on at most: a seeded sample of larger tables (summary: silhouetteRows). */
  static final long SILHOUETTE_ROWS = 10_000;

  private double silhouette(Dataset<Row> predicted, long n) {
    Dataset<Row> measured = n <= SILHOUETTE_ROWS ? predicted
        : predicted.sample(false, Math.min(1.0, 1.05 * SILHOUETTE_ROWS / n), settings.seed);
    return new ClusteringEvaluator().setFeaturesCol("features").setPredictionCol("cluster")
        .setDistanceMeasure(settings.cosine ? "cosine" : "squaredEuclidean").evaluate(measured);
  }

  private static float[][] floatCentroids(Model<?> model) {
    Vector[] centers = centers(model);
    float[][] centroids = new float[centers.length][];
    for (int c = 0; c < centers.length; c++) {
      double[] d = centers[c].toArray();
      centroids[c] = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        centroids[c][i] = (float) d[i];
      }
    }
    return centroids;
  }

  private static Vector[] centers(Model<?> model) {
    return model instanceof KMeansModel ? ((KMeansModel) model).clusterCenters()
        : ((BisectingKMeansModel) model).clusterCenters();
  }

  private static double cost(Model<?> model) {
    return model instanceof KMeansModel ? ((KMeansModel) model).summary().trainingCost()
        : ((BisectingKMeansModel) model).summary().trainingCost();
  }

  /** Distance of a vector to its cluster's centroid: 1 - cosine, or Euclidean. */
  static final class CentroidDistance implements UDF2<scala.collection.Seq<Object>, Integer, Double> {
    private static final long serialVersionUID = 1L;
    private final float[][] centroids;
    private final boolean cosine;

    CentroidDistance(float[][] centroids, boolean cosine) {
      this.centroids = centroids;
      this.cosine = cosine;
    }

    @Override
    public Double call(scala.collection.Seq<Object> vector, Integer cluster) {
      float[] c = centroids[cluster];
      if (vector.size() != c.length) {
        // Fewer values would read past the vector, more would be silently left out of the distance.
        throw new IllegalArgumentException("A vector of " + vector.size() + " values does not match the "
            + c.length + "-dimensional centroids: the vector column mixes dimensions (vectors from two models?). "
            + "Re-embed the table with one model.");
      }
      double dot = 0;
      double nv = 0;
      double nc = 0;
      double sq = 0;
      for (int i = 0; i < c.length; i++) {
        double v = ((Number) vector.apply(i)).doubleValue();
        dot += v * c[i];
        nv += v * v;
        nc += (double) c[i] * c[i];
        sq += (v - c[i]) * (v - c[i]);
      }
      if (!cosine) {
        return Math.sqrt(sq);
      }
      return nv == 0 || nc == 0 ? 1.0 : 1.0 - dot / Math.sqrt(nv * nc);
    }
  }
}
