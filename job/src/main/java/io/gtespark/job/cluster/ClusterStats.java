package io.gtespark.job.cluster;

import io.gtespark.job.vectors.TileRouting;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * What one pass over the rows learns of a fitted cosine k-means: each cluster's size, vector sum
 * (for the silhouette) and the {@code keep} rows nearest its centroid (the representatives), and
 * the total cost. Computed per partition from cached blocks with the SGEMM router, then added.
 */
final class ClusterStats implements Serializable {
  private static final long serialVersionUID = 1L;

  final long[] sizes;
  final double[] sums;
  final int dim;
  double cost;
  /** Per cluster, the nearest rows so far: distances ascending (ties by id), at most {@code keep}. */
  final List<List<Nearest>> nearest;
  private final int keep;

  /** A row near its centroid: its id and 1 - cosine to it. */
  static final class Nearest implements Serializable {
    private static final long serialVersionUID = 1L;
    final Object id;
    final double distance;

    Nearest(Object id, double distance) {
      this.id = id;
      this.distance = distance;
    }
  }

  private ClusterStats(int k, int dim, int keep) {
    this.sizes = new long[k];
    this.sums = new double[k * dim];
    this.dim = dim;
    this.keep = keep;
    this.nearest = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      nearest.add(new ArrayList<>(keep + 1));
    }
  }

  /** The statistics of {@code blocks} against {@code centroids} (one unit vector per cluster). */
  static ClusterStats of(Iterator<VectorBlock> blocks, VectorBlock centroids, int keep) {
    int dim = centroids.dim();
    ClusterStats s = new ClusterStats(centroids.rows(), dim, keep);
    TileRouting.forEach(blocks, centroids, 1, (block, first, n, nearest, router) -> {
      float[] values = block.values();
      for (int i = 0; i < n; i++) {
        int c = nearest[i][0];
        double distance = Math.max(0.0, 1.0 - router.score(i, c));
        s.sizes[c]++;
        s.cost += distance;
        int row = (first + i) * dim;
        for (int d = 0; d < dim; d++) {
          s.sums[c * dim + d] += values[row + d];
        }
        s.offer(c, new Nearest(block.id(first + i), distance));
      }
    });
    return s;
  }

  private void offer(int cluster, Nearest candidate) {
    if (keep == 0) {
      return;
    }
    List<Nearest> list = nearest.get(cluster);
    if (list.size() == keep && !before(candidate, list.get(keep - 1))) {
      return;
    }
    int at = list.size();
    while (at > 0 && before(candidate, list.get(at - 1))) {
      at--;
    }
    list.add(at, candidate);
    if (list.size() > keep) {
      list.remove(keep);
    }
  }

  /** Nearer first; equally near, the smaller id first (so representatives are deterministic). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean before(Nearest a, Nearest b) {
    if (a.distance != b.distance) {
      return a.distance < b.distance;
    }
    if (a.id instanceof Comparable && a.id.getClass() == b.id.getClass()) {
      return ((Comparable) a.id).compareTo(b.id) < 0;
    }
    return String.valueOf(a.id).compareTo(String.valueOf(b.id)) < 0;
  }

  /** Adds {@code other}'s rows to these; returns this. */
  ClusterStats add(ClusterStats other) {
    for (int c = 0; c < sizes.length; c++) {
      sizes[c] += other.sizes[c];
      for (Nearest n : other.nearest.get(c)) {
        offer(c, n);
      }
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i] += other.sums[i];
    }
    cost += other.cost;
    return this;
  }

  /** The silhouette's view of these clusters: their sums and sizes. */
  CosineSilhouette silhouette() {
    return new CosineSilhouette(sums, sizes, dim);
  }
}
