package io.gtespark.udf.device;

import java.util.Objects;

/** A concrete device a session runs on: the CPU, or one CUDA device by its ordinal. */
public final class ExecutionDevice {
  /** The CPU. */
  public static final ExecutionDevice CPU = new ExecutionDevice(-1);

  private final int cudaDevice;

  private ExecutionDevice(int cudaDevice) {
    this.cudaDevice = cudaDevice;
  }

  /** CUDA device {@code ordinal}. */
  public static ExecutionDevice cuda(int ordinal) {
    if (ordinal < 0) {
      throw new IllegalArgumentException("CUDA device ordinal must be >= 0, got " + ordinal);
    }
    return new ExecutionDevice(ordinal);
  }

  public boolean isCuda() {
    return cudaDevice >= 0;
  }

  /** The CUDA ordinal; only meaningful when {@link #isCuda()}. */
  public int cudaDevice() {
    return cudaDevice;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExecutionDevice && ((ExecutionDevice) o).cudaDevice == cudaDevice;
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(cudaDevice);
  }

  @Override
  public String toString() {
    return isCuda() ? "cuda:" + cudaDevice : "cpu";
  }
}
