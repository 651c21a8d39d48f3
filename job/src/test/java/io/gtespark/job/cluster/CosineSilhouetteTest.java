package io.gtespark.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CosineSilhouetteTest {
  /** The textbook definition: every pairwise distance, no sums. */
  private static double bruteForce(List<float[]> v, int[] cluster, int k) {
    double total = 0;
    for (int i = 0; i < v.size(); i++) {
      double[] sum = new double[k];
      int[] count = new int[k];
      for (int j = 0; j < v.size(); j++) {
        if (j == i) {
          continue;
        }
        double dot = 0;
        for (int d = 0; d < v.get(i).length; d++) {
          dot += v.get(i)[d] * v.get(j)[d];
        }
        sum[cluster[j]] += 1 - dot;
        count[cluster[j]]++;
      }
      if (count[cluster[i]] == 0) {
        continue;
      }
      double a = sum[cluster[i]] / count[cluster[i]];
      double b = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (c != cluster[i] && count[c] > 0) {
          b = Math.min(b, sum[c] / count[c]);
        }
      }
      total += (b - a) / Math.max(a, b);
    }
    return total / v.size();
  }

  @Test
  void equalsThePairwiseDefinition() {
    Random random = new Random(3);
    int k = 4;
    List<float[]> vectors = new ArrayList<>();
    int[] clusters = new int[300];
    for (int i = 0; i < clusters.length; i++) {
      clusters[i] = i % 50 == 0 ? 3 : i % 3; // cluster 3 is small: 6 rows
      float[] v = new float[16];
      double norm = 0;
      for (int d = 0; d < v.length; d++) {
        v[d] = (float) (random.nextGaussian() + (d == clusters[i] ? 3 : 0));
        norm += v[d] * v[d];
      }
      for (int d = 0; d < v.length; d++) {
        v[d] /= (float) Math.sqrt(norm);
      }
      vectors.add(v);
    }
    double expected = bruteForce(vectors, clusters, k);
    assertEquals(expected, CosineSilhouette.of(vectors, clusters, k), 1e-6);
    assertEquals(true, expected > 0.1, "the fixture has real clusters: " + expected);
  }

  @Test
  void aRowAloneInItsClusterScoresZero() {
    List<float[]> vectors = List.of(new float[] {1, 0}, new float[] {0, 1}, new float[] {0.6f, 0.8f});
    int[] clusters = {0, 1, 1};
    assertEquals(bruteForce(vectors, clusters, 2), CosineSilhouette.of(vectors, clusters, 2), 1e-6);
  }
}
