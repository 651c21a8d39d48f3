package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfFloatTest {
  @Test
  void exactValuesRoundTrip() {
    float[] exact = {0f, -0f, 1f, -1f, 0.5f, 0.25f, 65504f, -2f, 6.1035156e-5f, 5.9604645e-8f};
    for (float f : exact) {
      assertEquals(f, HalfFloat.toFloat(HalfFloat.fromFloat(f)), 0f, "value " + f);
    }
    assertEquals(Float.POSITIVE_INFINITY, HalfFloat.toFloat(HalfFloat.fromFloat(1e6f)));
    assertTrue(Float.isNaN(HalfFloat.toFloat(HalfFloat.fromFloat(Float.NaN))));
  }

  @Test
  void roundsToNearestEven() {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    assertEquals(1f, HalfFloat.toFloat(HalfFloat.fromFloat(1f + (float) Math.pow(2, -11))), 0f);
    // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: ties go to 1 + 2^-9.
    assertEquals(1f + (float) Math.pow(2, -9), HalfFloat.toFloat(HalfFloat.fromFloat(1f + 3 * (float) Math.pow(2, -11))), 0f);
  }

  @Test
  void unitVectorsKeepTheirDirection() {
    Random rnd = new Random(5);
    double worst = 1;
    for (int t = 0; t < 200; t++) {
      float[] v = new float[384];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) rnd.nextGaussian();
      }
      VectorMath.normalize(v);
      float[] back = HalfFloat.decode(HalfFloat.encode(v));
      assertEquals(768, HalfFloat.encode(v).length);
      worst = Math.min(worst, VectorMath.cosine(v, back));
      for (int i = 0; i < v.length; i++) {
        assertEquals(v[i], back[i], Math.abs(v[i]) / 1024 + 1e-7);
      }
    }
    assertTrue(worst > 0.99999, "worst cosine " + worst);
    assertNull(HalfFloat.encode(null));
    assertArrayEquals(new float[0], HalfFloat.decode(new byte[0]));
  }
}
