package io.gtespark.job.cluster;

import io.gtespark.job.Stage;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.MemoryProbe;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cluster}: MLlib KMeans (cosine by default) or BisectingKMeans on a vector column.
 * Writes {@code assignments/} (id, cluster, distance), {@code centroids/} (cluster, size,
 * centroid), {@code representatives/} (the texts nearest each centroid), {@code model/} (the
 * fitted MLlib model, for {@code KMeansModel.load}) and
 * {@code summary.json} (k, silhouette, cost, rows, rows left out for null vectors).
 */
public final class ClusterStage implements Stage {
  @Override
  public String name() {
    return "cluster";
  }

  @Override
  public String summary() {
    return "Clusters the vectors of an embedding output (or raw text, embedded on the fly) with KMeans, cosine "
        + "distance by default; --k auto picks k by silhouette.";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.required("--input", "spark.gte.cluster.input", "embedding output (or raw text with --text-col)"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto", "input format"),
        OptionSpec.optional("--id-col", "spark.gte.idCol", "id", "id column"),
        OptionSpec.optional("--vector-col", "spark.gte.vectorCol", "embedding", "vector column"),
        OptionSpec.optional("--text-col", "spark.gte.cluster.textCol", null,
            "text column: shown as representatives, embedded when there is no vector column"),
        OptionSpec.required("--k", "spark.gte.cluster.k", "number of clusters, or auto"),
        OptionSpec.optional("--k-min", "spark.gte.cluster.kMin", "2", "smallest k tried by --k auto"),
        OptionSpec.optional("--k-max", "spark.gte.cluster.kMax", "10", "largest k tried by --k auto"),
        OptionSpec.optional("--seed", "spark.gte.cluster.seed", "42", "random seed"),
        OptionSpec.optional("--max-iter", "spark.gte.cluster.maxIter", "30", "maximum iterations"),
        OptionSpec.optional("--tol", "spark.gte.cluster.tol", "1e-4",
            "convergence tolerance: stop once no centre moves more than this (cosine distance; MLlib's tol)"),
        OptionSpec.optional("--algorithm", "spark.gte.cluster.algorithm", "kmeans",
            "kmeans (cosine: SGEMM spherical k-means, an MLlib KMeansModel), mllib-kmeans (MLlib's fit) or bisecting"),
        OptionSpec.optional("--distance", "spark.gte.cluster.distance", "cosine", "cosine or euclidean"),
        OptionSpec.optional("--representatives", "spark.gte.cluster.representatives", "3",
            "texts nearest each centroid to keep"),
        OptionSpec.required("--output", "spark.gte.output", "output folder"),
        OptionSpec.optional("--output-format", "spark.gte.output.format", "parquet", "parquet, delta or json"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error", "error or overwrite")));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    long start = System.nanoTime();
    JobCosts costs = JobCosts.start(spark.sparkContext());
    String output = options.get("--output");
    OutputMode mode = OutputMode.parse(options.get("--mode"));
    if (mode != OutputMode.ERROR && mode != OutputMode.OVERWRITE) {
      throw new UsageException("cluster writes with --mode error or overwrite, not " + options.get("--mode") + ".");
    }
    OutputFormat format = OutputFormat.parse(options.get("--output-format"));
    TableWriter whole = new TableWriter(spark, output, format, mode);
    if (mode == OutputMode.ERROR && whole.exists()) {
      throw new UsageException("Output " + output + " already exists. Use --mode overwrite or choose another --output.");
    }
    VectorTable table = VectorTable.load(spark, options.get("--input"), options.get("--format"),
        options.get("--id-col"), options.get("--vector-col"), options.get("--text-col"),
        VectorTable.lazySpec(EngineOptions.settings(spark, options), spark));
    ClusterSettings settings = ClusterSettings.from(options);
    ClusterResult result;
    try {
      result = new VectorClusterer(settings).fit(table);
    } catch (RuntimeException e) {
      table.release();
      throw e;
    }

    OutputMode partMode = OutputMode.OVERWRITE;
    long writeStart = System.nanoTime();
    try {
      Map<String, Runnable> parts = new LinkedHashMap<>();
      parts.put("assignments", () -> new TableWriter(spark, output + "/assignments", format, partMode)
          .write(result.assignments(), table.identity()));
      parts.put("centroids", () -> new TableWriter(spark, output + "/centroids", format, partMode)
          .write(result.centroids(), table.identity()));
      if (result.hasRepresentatives()) {
        parts.put("representatives", () -> new TableWriter(spark, output + "/representatives", format, partMode)
            .write(result.representatives(), table.identity()));
      }
      parts.put("model", () -> {
        try {
          result.model().write().overwrite().save(output + "/model");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException("Could not save the model to " + output + "/model", e);
        }
      });
      writeTogether(output, parts);
    } finally {
      result.release();
      table.release();
    }
    System.out.printf("cluster: assignments, centroids, representatives and model written (%.1f s)%n",
        (System.nanoTime() - writeStart) / 1e9);
    Map<String, Object> summary = new LinkedHashMap<>(result.summary());
    OutputIdentity.writeJson(new Path(output, "summary.json"), summary, spark.sparkContext().hadoopConfiguration());
    RunMetrics metrics = RunMetrics.forStage("cluster");
    summary.forEach(metrics::put);
    metrics.put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0)
        .put("driverPeakRssMiB", MemoryProbe.peakRssMiB());
    costs.stopInto(metrics);
    metrics.writeTo(output, spark.sparkContext().hadoopConfiguration());
    System.out.println(doneLine(summary, output));
  }

  /**
   * Writes the output tables side by side, one Spark job each from its own thread: each is small
   * next to the cluster's cores, and their file commits then overlap instead of queueing. The
   * first failure is rethrown once every write has ended.
   */
  private static void writeTogether(String output, Map<String, Runnable> parts) {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parts.size());
    try {
      List<java.util.concurrent.Future<?>> writes = new ArrayList<>();
      parts.values().forEach(write -> writes.add(pool.submit(write)));
      RuntimeException failure = null;
      for (java.util.concurrent.Future<?> w : writes) {
        try {
          w.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (failure == null) {
            failure = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                : new IllegalStateException(e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while writing " + output, e);
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      pool.shutdown();
    }
  }

  /** The console's last line: k, silhouette, the smallest and largest cluster, and all sizes largest first. */
  static String doneLine(Map<String, Object> summary, String output) {
    @SuppressWarnings("unchecked")
    Map<Integer, Long> sizes = (Map<Integer, Long>) summary.get("sizes");
    List<Long> sorted = new ArrayList<>(sizes.values());
    sorted.sort(java.util.Comparator.reverseOrder());
    return String.format("cluster done: k %s, silhouette %.4f, %s rows clustered (%s without a vector), cluster "
        + "sizes %d to %d, largest first %s; written to %s", summary.get("k"), (Double) summary.get("silhouette"),
        summary.get("clusteredRows"), summary.get("excludedNullVectors"), sorted.get(sorted.size() - 1), sorted.get(0),
        sorted, output);
  }
}
