package io.gtespark.job.cluster;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.job.vectors.TileRouting;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The cluster stage's default path, cosine k-means, run on the table's unit vectors read once and
 * cached as blocks ({@link UnitVectorBlocks}): the SGEMM spherical fit, then one pass for the
 * sizes, cluster sums and representatives, one for the silhouette of every row, and the
 * assignments computed again as they are written. No pass converts a vector to an ML vector or
 * boxes its floats again, and the text column is read only for the representatives' few rows.
 */
final class SphericalClustering {
  private final ClusterSettings settings;
  private final Consumer<String> phase;

  /** {@code phase} is told each finished step's name (the caller prints it with its seconds). */
  SphericalClustering(ClusterSettings settings, Consumer<String> phase) {
    this.settings = settings;
    this.phase = phase;
  }

  /** A fit with what one pass and the silhouette pass measured of it. */
  private static final class Fitted {
    final SphericalKMeans.Model model;
    final ClusterStats stats;
    final double silhouette;

    Fitted(SphericalKMeans.Model model, ClusterStats stats, double silhouette) {
      this.model = model;
      this.stats = stats;
      this.silhouette = silhouette;
    }
  }

  /** Clusters the rows of {@code table} that have a vector; rows without one are counted, not fitted. */
  ClusterResult run(VectorTable table) {
    UnitVectorBlocks data = UnitVectorBlocks.cache(table.rows());
    try {
      return run(table, data);
    } catch (RuntimeException e) {
      data.release();
      throw e;
    }
  }

  private ClusterResult run(VectorTable table, UnitVectorBlocks data) {
    long n = data.rows();
    long total = n + data.nullRows();
    phase.accept("rows read and cached");
    if (n < 2) {
      throw new UsageException("Clustering needs at least 2 rows with a vector; the input has " + n + " (of " + total
          + " rows, the rest have null vectors).");
    }
    Map<Integer, Double> tried = new LinkedHashMap<>();
    Fitted chosen = null;
    if (settings.k == 0) {
      for (int candidate = settings.kMin; candidate <= Math.min(settings.kMax, n - 1); candidate++) {
        Fitted f = fit(data, candidate);
        tried.put(candidate, f.silhouette);
        if (chosen == null || f.silhouette > chosen.silhouette) {
          chosen = f;
        }
      }
      if (chosen == null) {
        throw new UsageException("--k auto found no k to try between " + settings.kMin + " and " + settings.kMax
            + " for " + n + " rows.");
      }
    } else {
      if (settings.k > n) {
        throw new UsageException("--k " + settings.k + " is more than the " + n + " rows with vectors.");
      }
      chosen = fit(data, settings.k);
    }
    float[][] centroids = chosen.model.centroids;
    int k = centroids.length;
    SparkSession spark = table.rows().sparkSession();
    Map<Integer, Long> sizes = new LinkedHashMap<>();
    for (int c = 0; c < k; c++) {
      sizes.put(c, chosen.stats.sizes[c]);
    }
    Dataset<Row> assignments = assignments(spark, data.blocks(), centroids,
        table.rows().schema().apply(VectorTable.ID).dataType());
    ClusterStats stats = chosen.stats;
    java.util.function.Supplier<Dataset<Row>> representatives = table.hasText() && settings.representatives > 0
        ? () -> representatives(spark, table, stats) : null;
    Map<String, Object> summary = VectorClusterer.summary(settings, k, total, n, chosen.silhouette, n, false,
        chosen.model.cost, sizes, tried);
    return new ClusterResult(assignments, VectorClusterer.centroidTable(spark, centroids, sizes), representatives,
        summary, data::release, mllibModel(chosen.model, k));
  }

  /** Fits k clusters and measures them: sizes, sums and representatives, then the silhouette. */
  private Fitted fit(UnitVectorBlocks data, int k) {
    SphericalKMeans.Model model = SphericalKMeans.fit(data.blocks(), data.rows(), k, settings.maxIter, settings.tol, settings.seed,
        new SphericalKMeans.Progress() {
          @Override
          public void iteration(int i, int max, double cost, int moved, double seconds) {
            System.out.printf("cluster: k %d, iteration %d of at most %d: cost %.2f, %d centres moved (%.1f s)%n", k, i,
                max, cost, moved, seconds);
          }

          @Override
          public void seeded(int sampleRows, double sampleSeconds, double seedingSeconds) {
            System.out.printf("cluster: k %d, %d sampled rows (%.1f s), %d k-means++ seedings refined on them (%.1f s)%n",
                k, sampleRows, sampleSeconds, SphericalKMeans.SEEDINGS, seedingSeconds);
          }
        });
    phase.accept(String.format("k %d fitted in %d iterations", k, model.iterations));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.blocks().context());
    Broadcast<VectorBlock> centres = jsc.broadcast(model.block());
    int keep = settings.representatives;
    ClusterStats stats;
    double silhouette;
    try {
      // Combined by cluster on the executors: a dense k x d partial from every task would reach
      // the driver about sqrt(partitions) times over (66 MB at k 1000 and 1,000 partitions).
      int reducers = Math.max(1, Math.min(k, jsc.defaultParallelism()));
      stats = ClusterStats.of(data.blocks()
          .mapPartitionsToPair((Iterator<VectorBlock> it) -> ClusterStats.cells(it, centres.value(), keep))
          .reduceByKey(ClusterStats.Cell::add, reducers).collect(), model.centroids.length, model.centroids[0].length);
      Broadcast<CosineSilhouette> measure = jsc.broadcast(stats.silhouette());
      try {
        silhouette = data.blocks().mapPartitions((Iterator<VectorBlock> it) -> List.of(
            silhouetteSum(it, centres.value(), measure.value())).iterator()).reduce(Double::sum) / data.rows();
      } finally {
        measure.destroy();
      }
    } finally {
      centres.destroy();
    }
    phase.accept(String.format("k %d: sizes, representatives and silhouette of all %d rows", k, data.rows()));
    return new Fitted(model, stats, silhouette);
  }

  /** The sum of the silhouettes of the rows of {@code blocks}, each in its nearest centre's cluster. */
  private static double silhouetteSum(Iterator<VectorBlock> blocks, VectorBlock centroids, CosineSilhouette measure) {
    int[] clusters = new int[TileRouting.TILE];
    double[] total = {0};
    TileRouting.forEach(blocks, centroids, 1, (block, first, n, nearest, router) -> {
      for (int i = 0; i < n; i++) {
        clusters[i] = nearest[i][0];
      }
      total[0] += measure.total(block.values(), first, n, clusters, 0);
    });
    return total[0];
  }

  /** (id, cluster, distance) for every row with a vector, routed again as the table is written. */
  private static Dataset<Row> assignments(SparkSession spark, JavaRDD<VectorBlock> blocks, float[][] centroids,
      org.apache.spark.sql.types.DataType idType) {
    VectorBlock centres = SphericalKMeans.Model.block(centroids);
    JavaRDD<Row> rows = blocks.mapPartitions((Iterator<VectorBlock> it) -> {
      List<Row> out = new ArrayList<>();
      TileRouting.forEach(it, centres, 1, (block, first, n, nearest, router) -> {
        for (int i = 0; i < n; i++) {
          int c = nearest[i][0];
          out.add(RowFactory.create(block.id(first + i), c, Math.max(0.0, 1.0 - router.score(i, c))));
        }
      });
      return out.iterator();
    });
    return spark.createDataFrame(rows, new StructType()
        .add("id", idType, false)
        .add("cluster", DataTypes.IntegerType, false)
        .add("distance", DataTypes.DoubleType, false));
  }

  /**
   * (cluster, rank, id, text, distance): the rows nearest each centroid, found by the statistics
   * pass. Only their texts are read: one scan of (id, text) filtered on their ids, collected to the
   * driver (k x representatives rows) and written from there.
   */
  private static Dataset<Row> representatives(SparkSession spark, VectorTable table, ClusterStats stats) {
    org.apache.spark.sql.types.DataType idType = table.rows().schema().apply(VectorTable.ID).dataType();
    java.util.Set<Object> distinct = new java.util.LinkedHashSet<>();
    for (List<ClusterStats.Nearest> list : stats.nearest) {
      for (ClusterStats.Nearest n : list) {
        distinct.add(n.id);
      }
    }
    // A filter on the ids (a hash set in the plan) instead of a join: no broadcast job to wait for.
    Dataset<Row> texts = table.rows().select(VectorTable.ID, VectorTable.TEXT)
        .filter(functions.col(VectorTable.ID).isin(distinct.toArray()));
    Map<Object, Object> textOf = new java.util.HashMap<>();
    for (Row r : texts.collectAsList()) {
      textOf.putIfAbsent(r.get(0), r.get(1)); // an id that repeats keeps the text of one of its rows
    }
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < stats.nearest.size(); c++) {
      int rank = 1;
      for (ClusterStats.Nearest n : stats.nearest.get(c)) {
        rows.add(RowFactory.create(c, rank++, n.id, textOf.get(n.id), n.distance));
      }
    }
    return spark.createDataFrame(rows, new StructType()
        .add("cluster", DataTypes.IntegerType, false)
        .add("rank", DataTypes.IntegerType, false)
        .add("id", idType, false)
        .add("text", table.rows().schema().apply(VectorTable.TEXT).dataType(), true)
        .add("distance", DataTypes.DoubleType, false));
  }

  /** The fit as a standard MLlib model: it predicts, saves and loads like one that KMeans.fit made. */
  private KMeansModel mllibModel(SphericalKMeans.Model fitted, int k) {
    org.apache.spark.mllib.linalg.Vector[] centres = new org.apache.spark.mllib.linalg.Vector[k];
    for (int c = 0; c < k; c++) {
      double[] d = new double[fitted.centroids[c].length];
      for (int i = 0; i < d.length; i++) {
        d[i] = fitted.centroids[c][i];
      }
      centres[c] = org.apache.spark.mllib.linalg.Vectors.dense(d);
    }
    KMeansModel model = new KMeansModel(Identifiable.randomUID("kmeans"),
        new org.apache.spark.mllib.clustering.KMeansModel(centres, "cosine", fitted.cost, fitted.iterations));
    model.set(model.distanceMeasure(), "cosine");
    model.set(model.k(), k);
    model.set(model.maxIter(), settings.maxIter);
    model.set(model.tol(), settings.tol);
    model.set(model.seed(), settings.seed);
    model.setFeaturesCol("features").setPredictionCol("cluster");
    return model;
  }
}
