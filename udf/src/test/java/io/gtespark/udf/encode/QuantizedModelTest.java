package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.model.ModelLocation;
import io.gtespark.udf.model.ModelResolver;
import org.junit.jupiter.api.Test;

/** The opt-in int8 profile of the bundled model: close to fp32, never mistaken for it. */
class QuantizedModelTest {
  @Test
  void int8VectorsAgreeWithFp32AndKeepTheRanking() {
    ModelResolver.Resolved q = ModelResolver.resolve("bge-small-en-v1.5-q", null, null, null, 0);
    assertEquals(384, q.identity().dimension());
    assertNotEquals(BundledSpec.resolved().identity(), q.identity(), "identities differ, so tables never mix them");
    TextEncoder int8 = TextEncoder.forTask(EncoderSpec.builder(ModelLocation.bundled(q.profile().name()), q.identity())
        .device(DeviceRequest.CPU).build());
    float[][] a = int8.encode(TextEncoderTest.TEXTS);
    float[][] b = TextEncoder.forTask(BundledSpec.builder().build()).encode(TextEncoderTest.TEXTS);
    double worst = 1;
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double c = VectorMath.cosine(a[i], b[i]);
      worst = Math.min(worst, c);
      sum += c;
    }
    System.out.printf("int8 vs fp32 cosine: mean %.4f, worst %.4f over %d texts%n", sum / a.length, worst, a.length);
    assertTrue(worst >= 0.90, "worst int8/fp32 cosine " + worst);
    int best = 1;
    for (int i = 2; i < 5; i++) {
      if (VectorMath.dot(a[0], a[i]) > VectorMath.dot(a[0], a[best])) {
        best = i;
      }
    }
    assertEquals(1, best, "the model card's direct answer still ranks first");
  }
}
