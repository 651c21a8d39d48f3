package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.gtespark.udf.model.PoolingMode;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class PoolingStrategyTest {
  // Two rows, three tokens, two dims; row 1 has one padding token holding large garbage.
  private final FloatBuffer hidden = FloatBuffer.wrap(new float[] {
      1, 2, 3, 4, 5, 6,
      7, 8, 9, 10, 1000, -1000});
  private final long[] mask = {1, 1, 1, 1, 1, 0};

  @Test
  void meanIgnoresPaddedPositions() {
    float[] out = new float[2];
    PoolingStrategy.of(PoolingMode.MEAN).pool(hidden, mask, 1, 3, 2, out);
    assertArrayEquals(new float[] {8, 9}, out, 1e-6f);
    PoolingStrategy.of(PoolingMode.MEAN).pool(hidden, mask, 0, 3, 2, out);
    assertArrayEquals(new float[] {3, 4}, out, 1e-6f);
  }

  @Test
  void clsTakesFirstTokenOfTheRow() {
    float[] out = new float[2];
    PoolingStrategy.of(PoolingMode.CLS).pool(hidden, mask, 1, 3, 2, out);
    assertArrayEquals(new float[] {7, 8}, out);
  }

  @Test
  void allMaskedRowDoesNotDivideByZero() {
    float[] out = new float[2];
    PoolingStrategy.of(PoolingMode.MEAN).pool(hidden, new long[6], 0, 3, 2, out);
    assertArrayEquals(new float[] {0, 0}, out);
  }
}
