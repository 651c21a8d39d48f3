package io.gtespark.job.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Peak memory of this JVM: the heap pools' peak usage (Java objects) and the process's peak
 * resident set (VmHWM: heap, ONNX Runtime's native arenas, tokenizer, everything).
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  /** Resets the heap pools' peaks, so the next reading covers what follows. */
  public static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  /** Sum of the heap pools' peak usage since the last reset, in MiB. */
  public static long peakHeapMiB() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum >> 20;
  }

  /** Peak resident set size of the process in MiB (Linux), or -1 where unknown. */
  public static long peakRssMiB() {
    return statusField("VmHWM:");
  }

  /** Current resident set size in MiB (Linux), or -1. */
  public static long rssMiB() {
    return statusField("VmRSS:");
  }

  private static long statusField(String field) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
