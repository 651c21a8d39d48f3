package io.gtespark.udf.device;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Picks the device a task should ask for. With {@code cpu}: the CPU. With {@code auto} or
 * {@code cuda}: the GPU Spark's resource scheduling assigned to the task (its first {@code gpu}
 * address), or device 0 when no GPU was assigned (local mode has no GPU scheduling). Whether
 * CUDA actually works is decided when the session is created (see {@code SessionRegistry}).
 */
public final class DeviceSelector {
  private DeviceSelector() {}

  /** The device to try for the current task. */
  public static ExecutionDevice select(DeviceRequest request) {
    if (request == DeviceRequest.CPU) {
      return ExecutionDevice.CPU;
    }
    return ExecutionDevice.cuda(assignedGpu().orElse(0));
  }

  private static java.util.OptionalInt assignedGpu() {
    TaskContext ctx = TaskContext.get();
    if (ctx == null) {
      return java.util.OptionalInt.empty();
    }
    Map<String, ResourceInformation> resources = ctx.resourcesJMap();
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return java.util.OptionalInt.empty();
    }
    try {
      return java.util.OptionalInt.of(Integer.parseInt(gpu.addresses()[0].trim()));
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "Spark assigned GPU address '" + gpu.addresses()[0] + "', which is not a CUDA device "
              + "ordinal; the GPU discovery script must print numeric addresses (see submit/gpu-discovery.sh).");
    }
  }
}
