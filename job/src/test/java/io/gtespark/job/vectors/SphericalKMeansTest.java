package io.gtespark.job.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SphericalKMeansTest {
  /** Unit vectors around three orthogonal directions. */
  private static List<float[]> threeTopics(int perTopic, long seed) {
    Random random = new Random(seed);
    List<float[]> rows = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < perTopic; i++) {
        float[] v = new float[12];
        double norm = 0;
        for (int d = 0; d < v.length; d++) {
          v[d] = (float) (0.3 * random.nextGaussian() + (d == t ? 1 : 0));
          norm += v[d] * v[d];
        }
        for (int d = 0; d < v.length; d++) {
          v[d] /= (float) Math.sqrt(norm);
        }
        rows.add(v);
      }
    }
    return rows;
  }

  @Test
  void theToleranceStopsTheFitOnceNoCentreMovesMoreThanIt() {
    List<float[]> rows = threeTopics(200, 3);
    float[][] init = SphericalKMeans.plusPlus(rows, 3, new Random(7));
    SphericalKMeans.Model loose = SphericalKMeans.fitLocally(rows, init, 100, 1e-2, 2);
    SphericalKMeans.Model tight = SphericalKMeans.fitLocally(rows, init, 100, 1e-6, 2);
    assertTrue(loose.iterations < 100 && tight.iterations < 100, loose.iterations + " / " + tight.iterations);
    assertTrue(loose.iterations <= tight.iterations, loose.iterations + " > " + tight.iterations);
    // Stopping early costs at most a sliver of the objective on well-separated topics.
    assertTrue(loose.cost <= tight.cost * 1.01, loose.cost + " vs " + tight.cost);
    // Each topic's direction is near one centre.
    for (int t = 0; t < 3; t++) {
      double best = 0;
      for (float[] c : tight.centroids) {
        best = Math.max(best, c[t]);
      }
      assertTrue(best > 0.9, "topic " + t + " has no centre: " + best);
    }
  }

  @Test
  void aMaxIterCapIsHonoured() {
    List<float[]> rows = threeTopics(100, 4);
    float[][] init = SphericalKMeans.plusPlus(rows, 3, new Random(1));
    assertEquals(1, SphericalKMeans.fitLocally(rows, init, 1, 0, 1).iterations);
  }
}
