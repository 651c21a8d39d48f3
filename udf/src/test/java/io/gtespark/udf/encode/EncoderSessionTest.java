package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.device.ExecutionDevice;
import io.gtespark.udf.model.PoolingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EncoderSessionTest {
  /** A shutdown hook closing the session while tasks still run must not free it under them. */
  @Test
  void closeDuringRunsNeitherCrashesNorCorruptsResults() throws Exception {
    EncoderSession session = EncoderSession.open(BundledSpec.resolved().files().onnx(), ExecutionDevice.CPU, 1, 0);
    List<long[]> batch = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      long[] ids = new long[64];
      ids[0] = 101;
      for (int t = 1; t < 63; t++) {
        ids[t] = 2000 + (i * 7 + t) % 500;
      }
      ids[63] = 102;
      batch.add(ids);
    }
    float[][] expected = session.run(batch, PoolingStrategy.of(PoolingMode.CLS));
    AtomicInteger completed = new AtomicInteger();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    Thread worker = new Thread(() -> {
      try {
        while (true) {
          float[][] got = session.run(batch, PoolingStrategy.of(PoolingMode.CLS));
          if (!java.util.Arrays.deepEquals(got, expected)) {
            unexpected.set(new AssertionError("a run returned other values"));
            return;
          }
          completed.incrementAndGet();
        }
      } catch (IllegalStateException closed) {
        // expected once the session is closed
      } catch (Throwable t) {
        unexpected.set(t);
      }
    });
    worker.start();
    while (completed.get() < 2) {
      Thread.sleep(10);
    }
    session.close();
    worker.join(30_000);
    assertTrue(!worker.isAlive());
    assertEquals(null, unexpected.get());
    IllegalStateException after = assertThrows(IllegalStateException.class,
        () -> session.run(batch, PoolingStrategy.of(PoolingMode.CLS)));
    assertTrue(after.getMessage().contains("shutting down"));
  }
}
