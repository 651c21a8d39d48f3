package io.gtespark.udf.encode;

import io.gtespark.udf.SettingException;

import ai.onnxruntime.OrtSession;
import io.gtespark.udf.EnumSetting;
import java.io.Serializable;

/**
 * How an ONNX Runtime session is set up on the CPU: intra-op threads, graph optimisation level,
 * memory-pattern planning and the CPU arena allocator. Part of the session registry's key, so
 * two tunings never share a session.
 */
public final class SessionTuning implements Serializable {
  private static final long serialVersionUID = 1L;

  /** ONNX Runtime's graph optimisation levels. */
  public enum OptLevel {
    NONE(OrtSession.SessionOptions.OptLevel.NO_OPT),
    BASIC(OrtSession.SessionOptions.OptLevel.BASIC_OPT),
    EXTENDED(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT),
    ALL(OrtSession.SessionOptions.OptLevel.ALL_OPT);

    final OrtSession.SessionOptions.OptLevel ort;

    OptLevel(OrtSession.SessionOptions.OptLevel ort) {
      this.ort = ort;
    }

    /** Parses {@code none}, {@code basic}, {@code extended} or {@code all}. */
    public static OptLevel parse(String value, String setting) {
      return EnumSetting.parse(OptLevel.class, value, setting, "optimisation level");
    }
  }

  private final int threads;
  private final OptLevel optLevel;
  private final boolean memoryPattern;
  private final boolean cpuArena;

  public SessionTuning(int threads, OptLevel optLevel, boolean memoryPattern, boolean cpuArena) {
    if (threads < 1) {
      throw new SettingException("spark.gte.intraOpThreads must be >= 1, got " + threads + ".");
    }
    this.threads = threads;
    this.optLevel = optLevel;
    this.memoryPattern = memoryPattern;
    this.cpuArena = cpuArena;
  }

  /** The defaults (all optimisations, memory pattern and arena on) with {@code threads} threads. */
  public static SessionTuning threads(int threads) {
    return new SessionTuning(threads, OptLevel.ALL, true, true);
  }

  void apply(OrtSession.SessionOptions options) throws ai.onnxruntime.OrtException {
    options.setOptimizationLevel(optLevel.ort);
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setMemoryPatternOptimization(memoryPattern);
    options.setCPUArenaAllocator(cpuArena);
    if (threads > 1) {
      // Spinning threads burn cores that Spark's other task slots need.
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
    }
  }

  public int threads() {
    return threads;
  }

  public OptLevel optLevel() {
    return optLevel;
  }

  public boolean memoryPattern() {
    return memoryPattern;
  }

  public boolean cpuArena() {
    return cpuArena;
  }

  /** A copy with another thread count. */
  public SessionTuning withThreads(int n) {
    return new SessionTuning(n, optLevel, memoryPattern, cpuArena);
  }

  /** The registry key part. */
  String key() {
    return threads + "t/" + optLevel.name().toLowerCase() + (memoryPattern ? "" : "/nomempattern")
        + (cpuArena ? "" : "/noarena");
  }

  @Override
  public String toString() {
    return threads + " intra-op threads, " + optLevel.name().toLowerCase() + " graph optimisations"
        + (memoryPattern ? "" : ", no memory pattern") + (cpuArena ? "" : ", no CPU arena");
  }
}
