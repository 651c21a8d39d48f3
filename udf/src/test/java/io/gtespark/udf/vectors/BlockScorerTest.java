package io.gtespark.udf.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockScorerTest {
  private static List<float[]> unitVectors(Random rnd, int n, int dim) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = (float) rnd.nextGaussian();
      }
      VectorMath.normalize(v);
      out.add(v);
    }
    return out;
  }

  private static List<Object> ids(int from, int n) {
    List<Object> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add((long) (from + i));
    }
    return ids;
  }

  /** More queries than one tile, split over two doc blocks: the heaps hold the brute-force top-K. */
  @Test
  void heapsHoldTheBruteForceTopKAcrossTilesAndBlocks() {
    Random rnd = new Random(3);
    int dim = 16;
    List<float[]> q = unitVectors(rnd, 300, dim);
    List<float[]> d = unitVectors(rnd, 90, dim);
    VectorBlock queries = VectorBlock.of(ids(0, 300), q);
    BlockScorer scorer = new BlockScorer(true, Double.NEGATIVE_INFINITY);
    TopKHeap[] heaps = new TopKHeap[300];
    for (int i = 0; i < heaps.length; i++) {
      heaps[i] = new TopKHeap(5);
    }
    scorer.score(queries, VectorBlock.of(ids(0, 50), d.subList(0, 50)), heaps);
    scorer.score(queries, VectorBlock.of(ids(50, 40), d.subList(50, 90)), heaps);
    assertEquals(300L * 90, scorer.pairsScored());
    for (int i = 0; i < 300; i++) {
      final int qi = i;
      List<Integer> want = new ArrayList<>();
      for (int j = 0; j < 90; j++) {
        if (j != qi) {
          want.add(j);
        }
      }
      want.sort(Comparator.comparingDouble((Integer j) -> -VectorMath.dot(q.get(qi), d.get(j))));
      List<TopKHeap.Entry> got = heaps[i].best();
      assertEquals(5, got.size());
      for (int r = 0; r < 5; r++) {
        assertEquals((long) want.get(r), got.get(r).id, "query " + i + " rank " + (r + 1));
      }
    }
  }

  @Test
  void blocksOfDifferentDimensionAreRefused() {
    VectorBlock a = VectorBlock.of(ids(0, 1), List.of(new float[4]));
    VectorBlock b = VectorBlock.of(ids(0, 1), List.of(new float[5]));
    assertThrows(IllegalArgumentException.class,
        () -> new BlockScorer(false, 0).score(a, b, new TopKHeap[] {new TopKHeap(1)}));
  }
}
