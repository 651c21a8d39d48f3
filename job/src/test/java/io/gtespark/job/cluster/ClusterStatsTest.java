package io.gtespark.job.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

class ClusterStatsTest {
  private static float[] unit(Random random, int dim) {
    float[] v = new float[dim];
    double norm = 0;
    for (int d = 0; d < dim; d++) {
      v[d] = (float) random.nextGaussian();
      norm += v[d] * v[d];
    }
    for (int d = 0; d < dim; d++) {
      v[d] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  private static VectorBlock block(Random random, int first, int rows, int dim) {
    List<Object> ids = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      ids.add((long) (first + i));
      vectors.add(unit(random, dim));
    }
    return VectorBlock.of(ids, vectors);
  }

  private static List<Tuple2<Integer, ClusterStats.Cell>> combined(List<Iterator<Tuple2<Integer, ClusterStats.Cell>>> parts) {
    Map<Integer, ClusterStats.Cell> byCluster = new HashMap<>();
    for (Iterator<Tuple2<Integer, ClusterStats.Cell>> part : parts) {
      part.forEachRemaining(t -> byCluster.merge(t._1(), t._2(), ClusterStats.Cell::add));
    }
    List<Tuple2<Integer, ClusterStats.Cell>> out = new ArrayList<>();
    byCluster.forEach((c, cell) -> out.add(new Tuple2<>(c, cell)));
    return out;
  }

  @Test
  void partialsCombinedByClusterEqualOnePassOverAllRows() {
    Random random = new Random(3);
    int dim = 8;
    int k = 5;
    List<Object> cellIds = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      cellIds.add(c);
    }
    VectorBlock centroids = VectorBlock.of(cellIds, java.util.stream.IntStream.range(0, k)
        .mapToObj(c -> java.util.Arrays.copyOfRange(block(new Random(c), 0, 1, dim).values(), 0, dim))
        .collect(java.util.stream.Collectors.toList()));
    VectorBlock a = block(random, 0, 300, dim);
    VectorBlock b = block(random, 300, 200, dim);

    ClusterStats whole = ClusterStats.of(combined(List.of(ClusterStats.cells(List.of(a, b).iterator(), centroids, 3))),
        k, dim);
    ClusterStats split = ClusterStats.of(combined(List.of(ClusterStats.cells(List.of(a).iterator(), centroids, 3),
        ClusterStats.cells(List.of(b).iterator(), centroids, 3))), k, dim);

    assertEquals(500, java.util.Arrays.stream(whole.sizes).sum());
    assertArrayEquals(whole.sizes, split.sizes);
    assertArrayEquals(whole.sums, split.sums, 1e-9);
    assertEquals(whole.cost, split.cost, 1e-9);
    for (int c = 0; c < k; c++) {
      List<Object> wholeIds = new ArrayList<>();
      List<Object> splitIds = new ArrayList<>();
      whole.nearest.get(c).forEach(n -> wholeIds.add(n.id));
      split.nearest.get(c).forEach(n -> splitIds.add(n.id));
      assertEquals(Math.min(3, whole.sizes[c]), wholeIds.size());
      assertEquals(wholeIds, splitIds, "cluster " + c);
    }
    // Each row counted in its nearest centroid's cluster: the sizes match a direct count.
    long[] direct = new long[k];
    for (VectorBlock block : List.of(a, b)) {
      for (int i = 0; i < block.rows(); i++) {
        int best = 0;
        double bestScore = -2;
        for (int c = 0; c < k; c++) {
          double s = 0;
          for (int d = 0; d < dim; d++) {
            s += block.values()[i * dim + d] * centroids.values()[c * dim + d];
          }
          if (s > bestScore) {
            bestScore = s;
            best = c;
          }
        }
        direct[best]++;
      }
    }
    assertArrayEquals(direct, whole.sizes);
  }
}
