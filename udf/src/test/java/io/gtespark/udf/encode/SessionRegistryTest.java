package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.device.ExecutionDevice;
import io.gtespark.udf.device.GpuPresence;
import io.gtespark.udf.model.ModelFiles;
import io.gtespark.udf.model.PoolingMode;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The per-JVM session registry: CPU fallbacks that expire, idle sessions that are freed. */
class SessionRegistryTest {
  private static final ModelFiles FILES = BundledSpec.resolved().files();

  @Test
  void aCudaFailureFallsBackToTheCpuWithoutPinningTheCudaKey() {
    Assumptions.assumeFalse(GpuPresence.nvidiaDriverPresent(), "needs a machine without an NVIDIA driver");
    SessionTuning tuning = SessionTuning.threads(1);
    ExecutionDevice gpu = ExecutionDevice.cuda(0);
    int before = SessionRegistry.cudaAttempts();
    EncoderSession first = SessionRegistry.session("registry-test", FILES, DeviceRequest.AUTO, gpu, tuning, 2);
    assertEquals(ExecutionDevice.CPU, first.device());
    assertFalse(SessionRegistry.holds("registry-test", gpu, tuning), "the CPU session is stored under the CUDA key");
    assertTrue(SessionRegistry.holds("registry-test", ExecutionDevice.CPU, tuning));

    // Within the retry window CUDA is not tried again; afterwards it is.
    SessionRegistry.session("registry-test", FILES, DeviceRequest.AUTO, gpu, tuning, 2);
    int afterWindow = SessionRegistry.cudaAttempts();
    SessionRegistry.expireFallbacks();
    EncoderSession retried = SessionRegistry.session("registry-test", FILES, DeviceRequest.AUTO, gpu, tuning, 2);
    assertSame(first, retried, "the fallback reuses the one CPU session");
    assertEquals(afterWindow + 1, SessionRegistry.cudaAttempts(), "CUDA was not tried again after the window");
    assertTrue(afterWindow - before <= 1, "CUDA was retried inside the window");
  }

  @Test
  void anIdleSessionIsFreedAndAnEncoderHoldingItReopensOne() throws Exception {
    SessionTuning tuning = SessionTuning.threads(1);
    EncoderSession s = SessionRegistry.session("idle-test", FILES, DeviceRequest.CPU, ExecutionDevice.CPU, tuning, 0);
    long[] ids = {101, 7592, 2088, 102};
    float[] before = s.run(List.of(ids), PoolingStrategy.of(PoolingMode.CLS))[0];
    Thread.sleep(20);
    SessionRegistry.evictIdle(1_000_000L); // 1 ms
    assertFalse(SessionRegistry.holds("idle-test", ExecutionDevice.CPU, tuning));
    try {
      s.run(List.of(ids), PoolingStrategy.of(PoolingMode.CLS));
      throw new AssertionError("an evicted session ran");
    } catch (EncoderSession.Evicted expected) {
      // the caller fetches a new session
    }
    EncoderSession again = SessionRegistry.session("idle-test", FILES, DeviceRequest.CPU, ExecutionDevice.CPU, tuning, 0);
    assertNotSame(s, again);
    assertEquals(before[0], again.run(List.of(ids), PoolingStrategy.of(PoolingMode.CLS))[0][0], 0f);
  }

  @Test
  void aTextEncoderSurvivesTheEvictionOfItsSession() {
    TextEncoder encoder = TextEncoder.forTask(BundledSpec.builder().sessionIdleSeconds(1).build());
    float[] first = encoder.encodeOne("a sentence to embed");
    SessionRegistry.evictIdle(0);
    float[] second = encoder.encodeOne("a sentence to embed");
    assertEquals(1.0, VectorMath.dot(first, second), 1e-6);
  }
}
