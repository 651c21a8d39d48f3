package io.gtespark.udf.device;

import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * A cheap check for an NVIDIA driver on this node, made before asking ONNX Runtime for CUDA:
 * loading the CUDA provider means extracting several hundred MB of native code, which CPU-only
 * nodes should not pay for on every JVM start.
 */
public final class GpuPresence {
  private GpuPresence() {}

  /** True when the NVIDIA kernel driver is loaded (its proc entry or control device exists). */
  public static boolean nvidiaDriverPresent() {
    return Files.exists(Paths.get("/proc/driver/nvidia/version")) || Files.exists(Paths.get("/dev/nvidiactl"));
  }
}
