package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelLocation;
import io.gtespark.udf.model.ModelResolver;
import io.gtespark.udf.model.PoolingMode;
import io.gtespark.udf.model.TinyOnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Models whose output would be wrong in silence: NaN values, pooled outputs, float16 overflow. */
class BrokenModelTest {
  private static final float[] WEIGHTS = {0.5f, -1f, 2f, 0.25f, 1f, -0.5f, 3f, 1.5f};

  private static TextEncoder encoder(Path dir, PoolingMode pooling, Boolean normalize) {
    ModelResolver.Resolved r = ModelResolver.resolve(dir.toString(), null, pooling, normalize, 0);
    EncoderSpec spec = EncoderSpec.builder(ModelLocation.local(r.files()), r.identity())
        .device(DeviceRequest.CPU).threads(1).build();
    return TextEncoder.forTask(spec);
  }

  @Test
  void nanInTheExportFailsTheBatchInsteadOfReturningNanVectors() throws Exception {
    float[] bias = new float[WEIGHTS.length];
    bias[3] = Float.NaN;
    Path dir = TinyOnnxModel.tokenVectors(Files.createTempDirectory("gte-nan").resolve("nan-model"), WEIGHTS, bias);
    TextEncoder encoder = encoder(dir, PoolingMode.MEAN, null);
    NonFiniteVectorException e = assertThrows(NonFiniteVectorException.class,
        () -> encoder.encode(List.of("first text", "second text", "a third one")));
    assertTrue(e.getMessage().contains("nan-model"), e.getMessage());
    assertTrue(e.getMessage().contains("batch of 3 texts"), e.getMessage());
    assertFalse(e.getMessage().contains("second text"), "document text must not appear in errors");
  }

  @Test
  void aFiniteTinyModelEncodesToUnitVectors() throws Exception {
    Path dir = TinyOnnxModel.tokenVectors(Files.createTempDirectory("gte-ok").resolve("ok-model"), WEIGHTS,
        new float[WEIGHTS.length]);
    float[][] v = encoder(dir, PoolingMode.MEAN, null).encode(List.of("first text", "second"));
    assertEquals(WEIGHTS.length, v[0].length);
    assertEquals(1.0, VectorMath.dot(v[0], v[0]), 1e-5);
  }

  @Test
  void aPooledOutputRecordsGraphPoolingAndRefusesAnotherPooling() throws Exception {
    Path dir = TinyOnnxModel.pooledVectors(Files.createTempDirectory("gte-pooled").resolve("pooled-model"), WEIGHTS);
    ModelException refused = assertThrows(ModelException.class,
        () -> ModelResolver.resolve(dir.toString(), null, PoolingMode.CLS, null, 0));
    assertTrue(refused.getMessage().contains("outputs pooled sentence vectors"), refused.getMessage());
    assertTrue(refused.getMessage().contains("spark.gte.pooling"), refused.getMessage());

    ModelResolver.Resolved r = ModelResolver.resolve(dir.toString(), null, null, null, 0);
    assertEquals(PoolingMode.GRAPH, r.identity().pooling());
    float[] v = encoder(dir, null, null).encodeOne("a text");
    assertNotNull(v);
    assertEquals(1.0, VectorMath.dot(v, v), 1e-5);
  }

  @Test
  void graphPoolingOnTokenVectorsIsRefused() throws Exception {
    Path dir = TinyOnnxModel.tokenVectors(Files.createTempDirectory("gte-tok").resolve("token-model"), WEIGHTS,
        new float[WEIGHTS.length]);
    ModelException e = assertThrows(ModelException.class,
        () -> ModelResolver.resolve(dir.toString(), null, PoolingMode.GRAPH, null, 0));
    assertTrue(e.getMessage().contains("outputs token vectors"), e.getMessage());
  }

  @Test
  void float16RefusesValuesBeyondItsRange() {
    assertThrows(NonFiniteVectorException.class, () -> HalfFloat.encode(new float[] {1f, 70000f}));
    assertEquals(2, HalfFloat.decode(HalfFloat.encode(new float[] {1f, 65504f})).length);
  }
}
