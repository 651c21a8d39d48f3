package io.gtespark.udf.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKHeapTest {
  @Test
  void keepsTheKBestWithTiesToTheSmallerIdAndNoIdTwice() {
    Random rnd = new Random(4);
    for (int round = 0; round < 50; round++) {
      TopKHeap a = new TopKHeap(5);
      TopKHeap b = new TopKHeap(5);
      List<double[]> all = new ArrayList<>();
      for (long id = 0; id < 40; id++) {
        double s = rnd.nextInt(8) / 8.0; // many ties
        all.add(new double[] {s, id});
        (id % 2 == 0 ? a : b).offer(s, id);
        a.offer(s, id % 3 == 0 ? id : -1 - id); // some ids offered to both heaps
      }
      TopKHeap merged = new TopKHeap(5).merge(a).merge(b);
      List<Object> seen = new ArrayList<>();
      for (TopKHeap.Entry e : merged.best()) {
        assertTrue(!seen.contains(e.id), "id kept twice: " + e.id);
        seen.add(e.id);
      }
      assertEquals(5, seen.size());
    }
    TopKHeap h = new TopKHeap(3);
    for (long id : new long[] {9, 3, 7, 1, 5}) {
      h.offer(0.5, id);
    }
    h.offer(0.9, 8L);
    h.offer(0.9, 8L);
    List<Object> ids = new ArrayList<>();
    h.best().forEach(e -> ids.add(e.id));
    assertEquals(List.of(8L, 1L, 3L), ids, "best score first, then smaller ids; a repeated id once");
    assertTrue(h.cannotEnter(0.4));
    assertTrue(!h.cannotEnter(0.6));
  }

  @Test
  void matchesASortOfEveryCandidate() {
    Random rnd = new Random(9);
    TopKHeap h = new TopKHeap(7);
    List<double[]> all = new ArrayList<>();
    for (long id = 0; id < 500; id++) {
      double s = rnd.nextGaussian();
      all.add(new double[] {s, id});
      h.offer(s, id);
    }
    all.sort(Comparator.comparingDouble((double[] x) -> -x[0]));
    List<TopKHeap.Entry> best = h.best();
    for (int i = 0; i < 7; i++) {
      assertEquals((long) all.get(i)[1], best.get(i).id);
    }
  }

  @Test
  void theFloorIsWhatAScoreMustReachToEnter() {
    TopKHeap h = new TopKHeap(2);
    assertEquals(Double.NEGATIVE_INFINITY, h.floor(), "room left: anything enters");
    h.offer(0.5, 1L);
    h.offer(0.9, 2L);
    assertEquals(0.5, h.floor());
    assertEquals(h.cannotEnter(0.49), 0.49 < h.floor());
    h.offer(0.7, 3L);
    assertEquals(0.7, h.floor());
    assertEquals(Double.POSITIVE_INFINITY, new TopKHeap(0).floor(), "K = 0: nothing enters");
  }
}
