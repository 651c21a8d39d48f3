package io.gtespark.job.cluster;

import dev.ludovic.netlib.blas.BLAS;
import java.io.Serializable;
import java.util.List;

/**
 * The silhouette of unit vectors under the cosine distance (1 - cosine), as MLlib's
 * {@code ClusteringEvaluator} computes it: from each cluster's vector sum and size, so every row
 * costs k dot products (one matrix product per tile of rows) instead of a distance to every
 * other row. The products run in double precision: a row's mean distance to its own cluster is
 * a difference of two numbers near the cluster's size.
 */
final class CosineSilhouette implements Serializable {
  private static final long serialVersionUID = 1L;
  private final double[] sums; // k x dim, row-major
  private final long[] sizes;
  private final int k;
  private final int dim;

  /** The clusters' vector sums ({@code sizes.length} rows of {@code dim}, row-major) and sizes. */
  CosineSilhouette(double[] sums, long[] sizes, int dim) {
    this.k = sizes.length;
    this.dim = dim;
    this.sums = sums.clone();
    this.sizes = sizes.clone();
  }

  /** The mean silhouette of {@code vectors} (unit length) in clusters {@code clusters[i]} in [0, k). */
  static double of(List<float[]> vectors, int[] clusters, int k) {
    int n = vectors.size();
    if (n == 0) {
      return 0;
    }
    int dim = vectors.get(0).length;
    double[] sums = new double[k * dim];
    long[] sizes = new long[k];
    float[] flat = new float[n * dim];
    for (int i = 0; i < n; i++) {
      float[] v = vectors.get(i);
      for (int d = 0; d < dim; d++) {
        sums[clusters[i] * dim + d] += v[d];
      }
      sizes[clusters[i]]++;
      System.arraycopy(v, 0, flat, i * dim, dim);
    }
    return new CosineSilhouette(sums, sizes, dim).total(flat, 0, n, clusters, 0) / n;
  }

  /**
   * The sum of the silhouettes of {@code count} rows of {@code values} (row-major unit vectors,
   * from row {@code first}), row {@code first + i} being in cluster {@code clusters[from + i]}.
   */
  double total(float[] values, int first, int count, int[] clusters, int from) {
    if (count == 0 || k == 0) {
      return 0;
    }
    double[] rows = new double[count * dim];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = values[first * dim + i];
    }
    double[] dots = new double[count * k];
    // Column-major view, as in VectorBlock.scoreRows: dots (k x count) = sums^T (k x dim) * rows (dim x count).
    BLAS.getInstance().dgemm("T", "N", k, count, dim, 1.0, sums, 0, dim, rows, 0, dim, 0.0, dots, 0, k);
    double total = 0;
    for (int i = 0; i < count; i++) {
      int own = clusters[from + i];
      if (sizes[own] <= 1) {
        continue; // a point alone in its cluster scores 0
      }
      // Mean distance to the rest of its own cluster: its distance to itself is 0.
      double a = (sizes[own] - dots[i * k + own]) / (sizes[own] - 1);
      double b = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (c != own && sizes[c] > 0) {
          b = Math.min(b, 1 - dots[i * k + c] / sizes[c]);
        }
      }
      if (b == Double.POSITIVE_INFINITY || a == b) {
        continue;
      }
      total += a < b ? 1 - a / b : b / a - 1;
    }
    return total;
  }
}
