package io.gtespark.job.cluster;

import java.util.List;

/**
 * The mean silhouette of unit vectors under the cosine distance (1 - cosine), as MLlib's
 * {@code ClusteringEvaluator} computes it: from each cluster's vector sum and size, so a sample of
 * n rows and k clusters costs n·k dot products on the driver instead of a Spark job per pass.
 */
final class CosineSilhouette {
  private CosineSilhouette() {}

  /** The silhouette of {@code vectors} (unit length) in clusters {@code clusters[i]} in [0, k). */
  static double of(List<float[]> vectors, int[] clusters, int k) {
    int n = vectors.size();
    if (n == 0) {
      return 0;
    }
    int dim = vectors.get(0).length;
    double[][] sums = new double[k][dim];
    long[] sizes = new long[k];
    for (int i = 0; i < n; i++) {
      float[] v = vectors.get(i);
      double[] s = sums[clusters[i]];
      for (int d = 0; d < dim; d++) {
        s[d] += v[d];
      }
      sizes[clusters[i]]++;
    }
    double total = 0;
    double[] meanDistance = new double[k];
    for (int i = 0; i < n; i++) {
      float[] v = vectors.get(i);
      int own = clusters[i];
      if (sizes[own] == 1) {
        continue; // a point alone in its cluster scores 0
      }
      for (int c = 0; c < k; c++) {
        if (sizes[c] == 0) {
          continue;
        }
        double dot = 0;
        double[] s = sums[c];
        for (int d = 0; d < dim; d++) {
          dot += v[d] * s[d];
        }
        meanDistance[c] = 1 - dot / sizes[c];
      }
      // Its own cluster's mean without itself (its distance to itself is 0).
      double a = meanDistance[own] * sizes[own] / (sizes[own] - 1);
      double b = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (c != own && sizes[c] > 0) {
          b = Math.min(b, meanDistance[c]);
        }
      }
      if (b == Double.POSITIVE_INFINITY || a == b) {
        continue;
      }
      total += a < b ? 1 - a / b : b / a - 1;
    }
    return total / n;
  }
}
