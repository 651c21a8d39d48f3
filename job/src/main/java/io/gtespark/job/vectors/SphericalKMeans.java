package io.gtespark.job.vectors;

import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.vectors.CellRouter;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Spherical k-means (cosine) on unit vectors, distributed like MLlib's Lloyd iterations but with
 * the assignment done a tile at a time by one SGEMM ({@link CellRouter}): each iteration
 * broadcasts the centroids, every task sums its rows per nearest centroid, and the driver
 * receives only k sums and counts. Seeded and deterministic. Empty cells keep their centroid.
 */
public final class SphericalKMeans {
  private SphericalKMeans() {}

  /** The trained centroids (unit vectors, one per row) and what training saw. */
  public static final class Model implements Serializable {
    private static final long serialVersionUID = 1L;
    public final float[][] centroids;
    public final int iterations;

    Model(float[][] centroids, int iterations) {
      this.centroids = centroids;
      this.iterations = iterations;
    }

    /** The centroids as a block whose ids are the cell numbers. */
    public VectorBlock block() {
      List<Object> ids = new ArrayList<>();
      List<float[]> rows = new ArrayList<>();
      for (int c = 0; c < centroids.length; c++) {
        ids.add(c);
        rows.add(centroids[c]);
      }
      return VectorBlock.of(ids, rows);
    }
  }

  /**
   * Trains {@code k} centroids (fewer if there are fewer rows) on {@code vectors}, which should be
   * persisted: each of the at most {@code maxIter} iterations reads them once.
   */
  public static Model train(JavaRDD<float[]> vectors, int k, int maxIter, long seed) {
    List<float[]> init = vectors.takeSample(false, k, seed);
    if (init.isEmpty()) {
      throw new IllegalArgumentException("k-means needs at least one vector");
    }
    float[][] centroids = init.toArray(new float[0][]);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(vectors.context());
    int iter = 0;
    while (iter < maxIter) {
      iter++;
      Broadcast<VectorBlock> b = jsc.broadcast(new Model(centroids, iter).block());
      Sums total = vectors.mapPartitions((Iterator<float[]> it) -> List.of(Sums.of(it, b.value())).iterator())
          .treeReduce(Sums::add);
      b.destroy();
      if (total.moveCentres(centroids) == 0) {
        break;
      }
    }
    return new Model(centroids, iter);
  }

  /**
   * Groups a few vectors (centroids, say) into {@code k} groups on the driver with the same
   * Lloyd iterations; returns each vector's group. Deterministic for a seed.
   */
  public static int[] groupLocally(float[][] vectors, int k, int maxIter, long seed) {
    int n = vectors.length;
    int groups = Math.max(1, Math.min(k, n));
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    float[][] centres = new float[groups][];
    for (int g = 0; g < groups; g++) {
      centres[g] = vectors[order.get(g)].clone();
    }
    int[] assigned = new int[n];
    for (int iter = 0; iter < maxIter; iter++) {
      Sums sums = Sums.of(java.util.Arrays.asList(vectors).iterator(), new Model(centres, iter).block());
      CellRouter router = new CellRouter(new Model(centres, iter).block());
      int[][] nearest = new int[1][1];
      for (int i = 0; i < n; i++) {
        router.nearest(vectors[i], 0, 1, 1, nearest);
        assigned[i] = nearest[0][0];
      }
      sums.moveCentres(centres);
    }
    return assigned;
  }

  /** Per-cell sums and counts of one partition (or of several, added). */
  static final class Sums implements Serializable {
    private static final long serialVersionUID = 1L;
    final double[] sums;
    final long[] counts;

    Sums(int cells, int dim) {
      this.sums = new double[cells * dim];
      this.counts = new long[cells];
    }

    static Sums of(Iterator<float[]> rows, VectorBlock centroids) {
      int dim = centroids.dim();
      CellRouter router = new CellRouter(centroids);
      Sums s = new Sums(centroids.rows(), dim);
      int tileRows = 256;
      float[] tile = new float[tileRows * dim];
      int[][] nearest = new int[tileRows][1];
      while (rows.hasNext()) {
        int n = 0;
        while (n < tileRows && rows.hasNext()) {
          System.arraycopy(rows.next(), 0, tile, n * dim, dim);
          n++;
        }
        router.nearest(tile, 0, n, 1, nearest);
        for (int i = 0; i < n; i++) {
          int c = nearest[i][0];
          s.counts[c]++;
          int off = c * dim;
          for (int d = 0; d < dim; d++) {
            s.sums[off + d] += tile[i * dim + d];
          }
        }
      }
      return s;
    }

    /** Moves each centre with members to their normalised mean; returns how many moved. */
    int moveCentres(float[][] centres) {
      int dim = centres[0].length;
      int moved = 0;
      for (int c = 0; c < centres.length; c++) {
        if (counts[c] == 0) {
          continue;
        }
        float[] next = new float[dim];
        for (int d = 0; d < dim; d++) {
          next[d] = (float) sums[c * dim + d];
        }
        VectorMath.normalize(next);
        if (VectorMath.dot(next, centres[c]) < 1 - 1e-6) {
          moved++;
        }
        centres[c] = next;
      }
      return moved;
    }

    Sums add(Sums other) {
      for (int i = 0; i < sums.length; i++) {
        sums[i] += other.sums[i];
      }
      for (int i = 0; i < counts.length; i++) {
        counts[i] += other.counts[i];
      }
      return this;
    }
  }
}
