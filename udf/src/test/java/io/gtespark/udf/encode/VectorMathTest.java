package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VectorMathTest {
  @Test
  void normalizeScalesToUnitLengthAndLeavesZeroAlone() {
    float[] v = {3f, 4f};
    VectorMath.normalize(v);
    assertArrayEquals(new float[] {0.6f, 0.8f}, v, 1e-7f);
    float[] zero = new float[3];
    VectorMath.normalize(zero);
    assertArrayEquals(new float[3], zero);
  }

  @Test
  void normalizeRefusesNaNAndInfinityInsteadOfPassingThemOn() {
    float[] nan = {1f, Float.NaN, 2f};
    assertThrows(IllegalArgumentException.class, () -> VectorMath.normalize(nan));
    assertEquals(1f, nan[0], "the vector is left as it was");
    assertThrows(IllegalArgumentException.class, () -> VectorMath.normalize(new float[] {Float.POSITIVE_INFINITY, 0f}));
  }
}
