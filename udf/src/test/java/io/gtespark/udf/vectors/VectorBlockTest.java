package io.gtespark.udf.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorBlockTest {
  private static float[] random(Random rnd, int dim) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  @Test
  void tileScoresEqualEveryPairsDotProduct() {
    Random rnd = new Random(11);
    int dim = 37;
    List<Object> ids = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    for (int j = 0; j < 53; j++) {
      ids.add((long) j);
      rows.add(random(rnd, dim));
    }
    VectorBlock block = VectorBlock.of(ids, rows);
    assertEquals(53, block.rows());
    // 13 rows scored from row 4 of a 20-row buffer: the rows around them must be ignored.
    float[][] queries = new float[20][];
    float[] tile = new float[20 * dim];
    java.util.Arrays.fill(tile, Float.NaN);
    for (int i = 4; i < 17; i++) {
      queries[i] = random(rnd, dim);
      System.arraycopy(queries[i], 0, tile, i * dim, dim);
    }
    float[] out = new float[13 * 53];
    block.scoreRows(tile, 4, 13, out);
    for (int i = 0; i < 13; i++) {
      for (int j = 0; j < 53; j++) {
        double want = VectorMath.dot(queries[4 + i], rows.get(j));
        assertEquals(want, out[i * 53 + j], 1e-4 * Math.max(1, Math.abs(want)), "pair " + i + "," + j);
      }
    }
  }

  @Test
  void mixedDimensionsAreRefusedWithAMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VectorBlock.of(List.of(1L, 2L), List.of(new float[4], new float[5])));
    assertTrue(e.getMessage().contains("dimension 5 and 4"), e.getMessage());
  }
}
