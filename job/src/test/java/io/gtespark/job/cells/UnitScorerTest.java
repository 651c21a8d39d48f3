package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.vectors.TopKHeap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

class UnitScorerTest {
  private static final int DIM = 8;
  private static final int K = 3;

  private static float[] unit(Random random) {
    float[] v = new float[DIM];
    double norm = 0;
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) random.nextGaussian();
      norm += v[d] * v[d];
    }
    for (int d = 0; d < DIM; d++) {
      v[d] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int d = 0; d < DIM; d++) {
      s += a[d] * b[d];
    }
    return s;
  }

  /** Every query's top K among the corpus rows of the cells it probes, by brute force. */
  @Test
  void eachQueryGetsItsBestRowsAmongTheCellsItProbes() {
    Random random = new Random(11);
    int cells = 5;
    int docs = 300;
    int queries = 120;
    float[][] docVectors = new float[docs][];
    int[] docCell = new int[docs];
    // Corpus rows arrive in two packets, in no cell order, as two input blocks would send them.
    CellPacket.Builder first = new CellPacket.Builder(DIM, docs / 2, docs / 2);
    CellPacket.Builder second = new CellPacket.Builder(DIM, docs / 2, docs / 2);
    for (int i = 0; i < docs; i++) {
      docVectors[i] = unit(random);
      docCell[i] = random.nextInt(cells);
      (i % 2 == 0 ? first : second).add((long) i, docVectors[i], 0, new int[] {docCell[i]}, 0, 1);
    }
    float[][] queryVectors = new float[queries][];
    int[][] probed = new int[queries][];
    CellPacket.Builder q = new CellPacket.Builder(DIM, queries, queries / 3 + 2 * (queries - queries / 3));
    for (int i = 0; i < queries; i++) {
      queryVectors[i] = unit(random);
      probed[i] = i % 3 == 0 ? new int[] {1} : new int[] {4, 0}; // cell 3 and 2 are never probed
      q.add(1000L + i, queryVectors[i], 0, probed[i], 0, probed[i].length);
    }
    UnitScorer scorer = new UnitScorer(K, false, Double.NEGATIVE_INFINITY, false);
    UnitScorer.Docs prepared = scorer.prepare(List.of(first.build(), second.build()));
    List<Tuple2<Object, TopKHeap>> lists = scorer.score(prepared, q.build());

    Map<Object, List<TopKHeap.Entry>> got = new HashMap<>();
    lists.forEach(t -> got.put(t._1(), t._2().best()));
    long expectedPairs = 0;
    for (int i = 0; i < queries; i++) {
      List<double[]> candidates = new ArrayList<>();
      for (int j = 0; j < docs; j++) {
        for (int c : probed[i]) {
          if (docCell[j] == c) {
            candidates.add(new double[] {dot(queryVectors[i], docVectors[j]), j});
            expectedPairs++;
          }
        }
      }
      candidates.sort((a, b) -> Double.compare(b[0], a[0]));
      List<TopKHeap.Entry> best = got.get(1000L + i);
      assertEquals(K, best.size());
      for (int r = 0; r < K; r++) {
        assertEquals((long) candidates.get(r)[1], best.get(r).id, "query " + i + " rank " + (r + 1));
        assertEquals(candidates.get(r)[0], best.get(r).score, 1e-5);
      }
    }
    assertEquals(expectedPairs, scorer.pairs(), "only the probed cells' rows are scored");
  }

  /** In a self search each score also serves the corpus row, and a row never lists itself. */
  @Test
  void aSelfSearchListsEachCorpusRowsNeighboursButNeverItself() {
    Random random = new Random(5);
    int n = 60;
    float[][] v = new float[n][];
    CellPacket.Builder docs = new CellPacket.Builder(DIM, n, n);
    CellPacket.Builder queries = new CellPacket.Builder(DIM, n, 2 * n);
    for (int i = 0; i < n; i++) {
      v[i] = unit(random);
      docs.add((long) i, v[i], 0, new int[] {i % 2}, 0, 1);
      queries.add((long) i, v[i], 0, new int[] {0, 1}, 0, 2);
    }
    UnitScorer scorer = new UnitScorer(K, true, Double.NEGATIVE_INFINITY, true);
    UnitScorer.Docs prepared = scorer.prepare(List.of(docs.build()));
    List<Tuple2<Object, TopKHeap>> lists = new ArrayList<>(scorer.score(prepared, queries.build()));
    lists.addAll(UnitScorer.docLists(prepared));
    Map<Object, TopKHeap> merged = new HashMap<>();
    lists.forEach(t -> merged.merge(t._1(), t._2(), TopKHeap::merge));
    for (int i = 0; i < n; i++) {
      List<TopKHeap.Entry> best = merged.get((long) i).best();
      assertEquals(K, best.size());
      double kth = best.get(K - 1).score;
      for (TopKHeap.Entry e : best) {
        assertTrue(!e.id.equals((long) i), "row " + i + " lists itself");
      }
      int better = 0;
      for (int j = 0; j < n; j++) {
        if (j != i && dot(v[i], v[j]) > kth + 1e-6) {
          better++;
        }
      }
      assertTrue(better < K, "row " + i + " missed a better neighbour");
    }
  }

  /**
   * A self search scores the unit's own corpus packets as the queries their rows are: each row
   * leaves the unit with one list (its query and corpus lists are one), and that list is its
   * exact top K when it probes every cell of the unit.
   */
  @Test
  void aUnitsOwnRowsLeaveWithOneListEach() {
    Random random = new Random(23);
    int n = 80;
    float[][] v = new float[n][];
    // Two packets (rows 0..39, then 40..79), each in no cell order; a row's own cell comes first.
    CellPacket.Builder[] packets = {new CellPacket.Builder(DIM, n / 2, 3 * n / 2),
        new CellPacket.Builder(DIM, n / 2, 3 * n / 2)};
    for (int i = 0; i < n; i++) {
      v[i] = unit(random);
      int own = (i * 7) % 3;
      packets[i / (n / 2)].add((long) i, v[i], 0, new int[] {own, (own + 1) % 3, (own + 2) % 3}, 0, 3);
    }
    UnitScorer scorer = new UnitScorer(K, true, Double.NEGATIVE_INFINITY, true);
    List<CellPacket> own = List.of(packets[0].build(), packets[1].build());
    UnitScorer.Docs prepared = scorer.prepare(own);
    scorer.scoreOwn(prepared, own.get(0), 0);
    scorer.scoreOwn(prepared, own.get(1), n / 2);
    List<Tuple2<Object, TopKHeap>> lists = UnitScorer.docLists(prepared);
    assertEquals(n, lists.size(), "one list per row");
    assertEquals((long) n * n, scorer.pairs(), "every row scored against every row of the unit once");
    for (Tuple2<Object, TopKHeap> t : lists) {
      int i = (int) (long) (Long) t._1();
      List<double[]> exact = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        if (j != i) {
          exact.add(new double[] {dot(v[i], v[j]), j});
        }
      }
      exact.sort((a, b) -> Double.compare(b[0], a[0]));
      List<TopKHeap.Entry> best = t._2().best();
      assertEquals(K, best.size());
      for (int r = 0; r < K; r++) {
        assertEquals((long) exact.get(r)[1], best.get(r).id, "row " + i + " rank " + (r + 1));
      }
    }
  }
}
