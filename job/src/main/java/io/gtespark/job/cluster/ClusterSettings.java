package io.gtespark.job.cluster;

import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;

/** The cluster stage's choices, checked once. */
public final class ClusterSettings {
  final int k; // 0 = auto
  final int kMin;
  final int kMax;
  final long seed;
  final int maxIter;
  /** Convergence tolerance: the fit stops once no centre moves more than this (MLlib's tol). */
  final double tol;
  final boolean bisecting;
  /** MLlib's own KMeans (k-means|| and its Lloyd loop) instead of the SGEMM spherical k-means. */
  final boolean mllibKMeans;
  final boolean cosine;
  final int representatives;

  ClusterSettings(int k, int kMin, int kMax, long seed, int maxIter, double tol, boolean bisecting,
      boolean mllibKMeans, boolean cosine, int representatives) {
    this.k = k;
    this.kMin = kMin;
    this.kMax = kMax;
    this.seed = seed;
    this.maxIter = maxIter;
    this.tol = tol;
    this.bisecting = bisecting;
    this.mllibKMeans = mllibKMeans;
    this.cosine = cosine;
    this.representatives = representatives;
  }

  /** True when the fit is the SGEMM spherical k-means: k-means with the cosine distance. */
  boolean spherical() {
    return !bisecting && !mllibKMeans && cosine;
  }

  static ClusterSettings from(StageOptions o) {
    String kValue = o.get("--k");
    int k = kValue.equalsIgnoreCase("auto") ? 0 : o.getInt("--k");
    if (!kValue.equalsIgnoreCase("auto") && k < 2) {
      throw new UsageException("--k must be at least 2, or auto.");
    }
    int kMin = o.getInt("--k-min");
    int kMax = o.getInt("--k-max");
    if (k == 0 && (kMin < 2 || kMax < kMin)) {
      throw new UsageException("--k auto needs 2 <= --k-min <= --k-max, got " + kMin + " and " + kMax + ".");
    }
    double tol = o.getDouble("--tol");
    if (!(tol >= 0)) {
      throw new UsageException("--tol must be 0 or more (0: run all --max-iter iterations), got " + o.get("--tol") + ".");
    }
    String algorithm = o.getChoice("--algorithm", "kmeans", "mllib-kmeans", "bisecting");
    String distance = o.getChoice("--distance", "cosine", "euclidean");
    return new ClusterSettings(k, kMin, kMax, o.getLong("--seed"), o.getInt("--max-iter"), tol,
        algorithm.equals("bisecting"), algorithm.equals("mllib-kmeans"), distance.equals("cosine"),
        o.getInt("--representatives"));
  }
}
