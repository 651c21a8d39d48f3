package io.gtespark.job.bench;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code bench --vectors}: the cluster stage's k-means fit on Spark against the bare Lloyd loop
 * (the same seeding, the same SGEMM assignment, one thread per core, no Spark) on the same
 * vectors, from the same starting centres, each timed as the median of several runs.
 */
final class LloydBench {
  private LloydBench() {}

  static void run(SparkSession spark, String input, String vectorCol, int k, int maxIter, int runs, int warmup,
      long seed) {
    if (k < 2 || maxIter < 1) {
      throw new UsageException("bench --vectors needs --k >= 2 and --max-iter >= 1.");
    }
    UnitVectorBlocks unit = UnitVectorBlocks.cache(TableReader.read(spark, input, null).select(
        functions.monotonically_increasing_id().as(VectorTable.ID), functions.col(vectorCol).as(VectorTable.VECTOR)));
    try {
      List<float[]> rows = new ArrayList<>();
      for (VectorBlock b : unit.blocks().collect()) {
        for (int i = 0; i < b.rows(); i++) {
          rows.add(java.util.Arrays.copyOfRange(b.values(), i * b.dim(), (i + 1) * b.dim()));
        }
      }
      int cores = spark.sparkContext().defaultParallelism();
      long t0 = System.nanoTime();
      List<float[]> sample = SphericalKMeans.sample(unit.blocks(), unit.rows(), (int) Math.max(10_000L, 20L * k), seed);
      double sampleSeconds = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      float[][] init = SphericalKMeans.plusPlus(sample, k, new Random(seed));
      double seedSeconds = (System.nanoTime() - t0) / 1e9;
      List<Double> distributed = new ArrayList<>();
      List<Double> bare = new ArrayList<>();
      int sparkIters = 0;
      int bareIters = 0;
      for (int r = 0; r < warmup + runs; r++) {
        long s = System.nanoTime();
        sparkIters = SphericalKMeans.fitFrom(unit.blocks(), init, maxIter, SphericalKMeans.DEFAULT_TOL, null).iterations;
        double sparkSeconds = (System.nanoTime() - s) / 1e9;
        s = System.nanoTime();
        bareIters = SphericalKMeans.fitLocally(rows, init, maxIter, SphericalKMeans.DEFAULT_TOL, cores).iterations;
        double bareSeconds = (System.nanoTime() - s) / 1e9;
        if (r >= warmup) {
          distributed.add(sparkSeconds);
          bare.add(bareSeconds);
        }
      }
      double sparkMedian = median(distributed);
      double bareMedian = median(bare);
      System.out.printf("bench --vectors: %d rows, k %d, at most %d iterations; sample %.2f s and k-means++ seeding "
          + "%.2f s (both fits start from these centres)%n", rows.size(), k, maxIter, sampleSeconds, seedSeconds);
      System.out.printf("  bare Lloyd loop (%d threads, no Spark): %.2f s for %d iterations (median of %d) %s%n", cores,
          bareMedian, bareIters, runs, bare);
      System.out.printf("  Spark fit (the cluster stage's):        %.2f s for %d iterations (median of %d) %s%n",
          sparkMedian, sparkIters, runs, distributed);
      System.out.printf("  Spark / bare: %.2fx%n", sparkMedian / bareMedian);
    } finally {
      unit.release();
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
