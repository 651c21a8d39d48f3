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
    int dim = centroids[0].length;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(vectors.context());
    int iter = 0;
    while (iter < maxIter) {
      iter++;
      Broadcast<VectorBlock> b = jsc.broadcast(new Model(centroids, iter).block());
      int cells = centroids.length;
      Sums total = vectors.mapPartitions((Iterator<float[]> it) -> List.of(Sums.of(it, b.value())).iterator())
          .treeReduce(Sums::add);
      b.destroy();
      int moved = 0;
      for (int c = 0; c < cells; c++) {
        if (total.counts[c] == 0) {
          continue;
        }
        float[] next = new float[dim];
        for (int d = 0; d < dim; d++) {
          next[d] = (float) total.sums[c * dim + d];
        }
        VectorMath.normalize(next);
        if (VectorMath.dot(next, centroids[c]) < 1 - 1e-6) {
          moved++;
        }
        centroids[c] = next;
      }
      if (moved == 0) {
        break;
      }
    }
    return new Model(centroids, iter);
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
