package io.gtespark.job.cluster;

import io.gtespark.job.vectors.TileRouting;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import scala.Tuple2;

/**
 * What one pass over the rows learns of a fitted cosine k-means: each cluster's size, vector sum
 * (for the silhouette) and the {@code keep} rows nearest its centroid (the representatives), and
 * the total cost. Each partition sums only the clusters its rows fall in ({@link #cells}); the
 * partials are combined by cluster on the executors, so the driver receives one {@link Cell} per
 * cluster (k·d numbers in all) however many partitions there are.
 */
final class ClusterStats implements Serializable {
  private static final long serialVersionUID = 1L;

  final long[] sizes;
  final double[] sums;
  final int dim;
  double cost;
  /** Per cluster, the nearest rows: distances ascending (ties by id), at most {@code keep}. */
  final List<List<Nearest>> nearest;

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

  /** One cluster's share of some rows: their count, vector sum, cost and nearest rows. */
  static final class Cell implements Serializable {
    private static final long serialVersionUID = 1L;
    long size;
    final double[] sum;
    double cost;
    final List<Nearest> nearest;
    private final int keep;

    Cell(int dim, int keep) {
      this.sum = new double[dim];
      this.keep = keep;
      this.nearest = new ArrayList<>(Math.min(keep, 16) + 1);
    }

    private void add(float[] values, int row, double distance, Object id) {
      size++;
      cost += distance;
      for (int d = 0; d < sum.length; d++) {
        sum[d] += values[row + d];
      }
      offer(new Nearest(id, distance));
    }

    /** Adds {@code other}'s rows to these; returns this. */
    Cell add(Cell other) {
      size += other.size;
      cost += other.cost;
      for (int d = 0; d < sum.length; d++) {
        sum[d] += other.sum[d];
      }
      for (Nearest n : other.nearest) {
        offer(n);
      }
      return this;
    }

    private void offer(Nearest candidate) {
      if (keep == 0) {
        return;
      }
      if (nearest.size() == keep && !before(candidate, nearest.get(keep - 1))) {
        return;
      }
      int at = nearest.size();
      while (at > 0 && before(candidate, nearest.get(at - 1))) {
        at--;
      }
      nearest.add(at, candidate);
      if (nearest.size() > keep) {
        nearest.remove(keep);
      }
    }
  }

  private ClusterStats(int k, int dim) {
    this.sizes = new long[k];
    this.sums = new double[k * dim];
    this.dim = dim;
    this.nearest = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      nearest.add(new ArrayList<>());
    }
  }

  /**
   * The partial statistics of {@code blocks} against {@code centroids} (one unit vector per
   * cluster): one cell for each cluster that some row of the blocks is nearest to.
   */
  static Iterator<Tuple2<Integer, Cell>> cells(Iterator<VectorBlock> blocks, VectorBlock centroids, int keep) {
    int dim = centroids.dim();
    Map<Integer, Cell> cells = new HashMap<>();
    TileRouting.forEach(blocks, centroids, 1, (block, first, n, nearest, router) -> {
      float[] values = block.values();
      for (int i = 0; i < n; i++) {
        int c = nearest[i][0];
        cells.computeIfAbsent(c, x -> new Cell(dim, keep))
            .add(values, (first + i) * dim, Math.max(0.0, 1.0 - router.score(i, c)), block.id(first + i));
      }
    });
    List<Tuple2<Integer, Cell>> out = new ArrayList<>(cells.size());
    cells.forEach((c, cell) -> out.add(new Tuple2<>(c, cell)));
    return out.iterator();
  }

  /** The statistics of {@code k} clusters of {@code dim} dimensions from their combined cells (a cluster without one is empty). */
  static ClusterStats of(List<Tuple2<Integer, Cell>> cells, int k, int dim) {
    ClusterStats s = new ClusterStats(k, dim);
    for (Tuple2<Integer, Cell> t : cells) {
      int c = t._1();
      Cell cell = t._2();
      s.sizes[c] = cell.size;
      s.cost += cell.cost;
      System.arraycopy(cell.sum, 0, s.sums, c * dim, dim);
      s.nearest.set(c, cell.nearest);
    }
    return s;
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

  /** The silhouette's view of these clusters: their sums and sizes. */
  CosineSilhouette silhouette() {
    return new CosineSilhouette(sums, sizes, dim);
  }
}
