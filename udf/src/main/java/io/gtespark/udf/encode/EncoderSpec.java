package io.gtespark.udf.encode;

import io.gtespark.udf.SettingException;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.model.ModelLocation;
import java.io.Serializable;

/**
 * Everything an executor needs to encode text, resolved and validated on the driver: where the
 * model files are, the model's identity, and the engine's knobs. Small, immutable and
 * serialisable: it travels with each task instead of the model.
 */
public final class EncoderSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Default token budget of one CPU batch (rows x padded length). Measured on 2 cores: 512-1024
   * tokens ran 23% faster than 4096 (activations stay in cache); see docs/benchmarks.md.
   */
  public static final int DEFAULT_CPU_BATCH_TOKENS = 1024;
  /** Default token budget of one GPU batch. */
  public static final int DEFAULT_GPU_BATCH_TOKENS = 32768;

  private final ModelLocation location;
  private final ModelIdentity identity;
  private final DeviceRequest device;
  private final int batchMaxTokens;
  private final int batchMaxRows;
  private final int chunkRows;
  private final SessionTuning tuning;
  private final int gpuConcurrentRuns;
  private final LongTextMode longText;
  private final int maxWindows;
  private final EmptyTextMode emptyText;
  private final boolean sortByLength;
  private final boolean padToMaxLength;
  private final int sessionIdleSeconds;

  private EncoderSpec(Builder b) {
    this.location = b.location;
    this.identity = b.identity;
    this.device = b.device;
    this.batchMaxTokens = b.batchMaxTokens;
    this.batchMaxRows = b.batchMaxRows;
    this.chunkRows = b.chunkRows;
    this.tuning = b.tuning;
    this.gpuConcurrentRuns = b.gpuConcurrentRuns;
    this.longText = b.longText;
    this.maxWindows = b.maxWindows;
    this.emptyText = b.emptyText;
    this.sortByLength = b.sortByLength;
    this.padToMaxLength = b.padToMaxLength;
    this.sessionIdleSeconds = b.sessionIdleSeconds;
  }

  /** A builder for a validated model; every knob starts at its default. */
  public static Builder builder(ModelLocation location, ModelIdentity identity) {
    return new Builder(location, identity);
  }

  public ModelLocation location() {
    return location;
  }

  public ModelIdentity identity() {
    return identity;
  }

  public DeviceRequest device() {
    return device;
  }

  /** Token budget per batch for a session on a GPU or the CPU (explicit setting wins). */
  public int batchMaxTokens(boolean cuda) {
    if (batchMaxTokens > 0) {
      return batchMaxTokens;
    }
    return cuda ? DEFAULT_GPU_BATCH_TOKENS : DEFAULT_CPU_BATCH_TOKENS;
  }

  public int batchMaxRows() {
    return batchMaxRows;
  }

  /** Rows read from a partition before they are tokenised, sorted and batched together. */
  public int chunkRows() {
    return chunkRows;
  }

  /** ONNX Runtime intra-op threads per session. */
  public int threads() {
    return tuning.threads();
  }

  /** How the ONNX Runtime session is set up (threads, optimisation level, memory settings). */
  public SessionTuning tuning() {
    return tuning;
  }

  public int gpuConcurrentRuns() {
    return gpuConcurrentRuns;
  }

  public LongTextMode longText() {
    return longText;
  }

  public int maxWindows() {
    return maxWindows;
  }

  public EmptyTextMode emptyText() {
    return emptyText;
  }

  /** Batches are cut from length-sorted chunks (true unless measuring what sorting buys). */
  public boolean sortByLength() {
    return sortByLength;
  }

  /** Every batch padded to the max length (false unless measuring what dynamic padding buys). */
  public boolean padToMaxLength() {
    return padToMaxLength;
  }

  /** Seconds an unused session may stay open before the registry frees it; 0 = never. */
  public int sessionIdleSeconds() {
    return sessionIdleSeconds;
  }

  /** A copy with another device request. */
  public EncoderSpec withDevice(DeviceRequest newDevice) {
    return toBuilder().device(newDevice).build();
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    return new Builder(location, identity)
        .device(device)
        .batchMaxTokens(batchMaxTokens)
        .batchMaxRows(batchMaxRows)
        .chunkRows(chunkRows)
        .tuning(tuning)
        .gpuConcurrentRuns(gpuConcurrentRuns)
        .longText(longText)
        .maxWindows(maxWindows)
        .emptyText(emptyText)
        .sortByLength(sortByLength)
        .padToMaxLength(padToMaxLength)
        .sessionIdleSeconds(sessionIdleSeconds);
  }

  @Override
  public String toString() {
    return "EncoderSpec{model=" + identity + ", location=" + location + ", device=" + device
        + ", batchMaxTokens=" + (batchMaxTokens > 0 ? batchMaxTokens : "auto") + ", batchMaxRows="
        + batchMaxRows + ", chunkRows=" + chunkRows + ", session=" + tuning + ", longText=" + longText
        + ", emptyText=" + emptyText + (sortByLength ? "" : ", unsorted") + (padToMaxLength ? ", padToMax" : "") + "}";
  }

  /** Builds an {@link EncoderSpec}; checks each value as it is set. */
  public static final class Builder {
    private final ModelLocation location;
    private final ModelIdentity identity;
    private DeviceRequest device = DeviceRequest.AUTO;
    private int batchMaxTokens = 0;
    private int batchMaxRows = 256;
    private int chunkRows = 2048;
    private SessionTuning tuning = SessionTuning.threads(1);
    private int gpuConcurrentRuns = 2;
    private LongTextMode longText = LongTextMode.TRUNCATE;
    private int maxWindows = 32;
    private EmptyTextMode emptyText = EmptyTextMode.NULL;
    private boolean sortByLength = true;
    private boolean padToMaxLength = false;
    private int sessionIdleSeconds = 1800;

    private Builder(ModelLocation location, ModelIdentity identity) {
      this.location = location;
      this.identity = identity;
    }

    public Builder device(DeviceRequest v) {
      this.device = v;
      return this;
    }

    /** Token budget per batch; 0 picks the device's default. */
    public Builder batchMaxTokens(int v) {
      this.batchMaxTokens = atLeast(v, 0, "spark.gte.batch.maxTokens");
      return this;
    }

    public Builder batchMaxRows(int v) {
      this.batchMaxRows = atLeast(v, 1, "spark.gte.batch.maxRows");
      return this;
    }

    public Builder chunkRows(int v) {
      this.chunkRows = atLeast(v, 1, "spark.gte.chunkRows");
      return this;
    }

    public Builder threads(int v) {
      this.tuning = tuning.withThreads(atLeast(v, 1, "spark.gte.intraOpThreads"));
      return this;
    }

    /** The whole session set-up at once (threads included). */
    public Builder tuning(SessionTuning v) {
      this.tuning = v;
      return this;
    }

    public Builder gpuConcurrentRuns(int v) {
      this.gpuConcurrentRuns = atLeast(v, 1, "spark.gte.gpu.concurrentRuns");
      return this;
    }

    public Builder longText(LongTextMode v) {
      this.longText = v;
      return this;
    }

    public Builder maxWindows(int v) {
      this.maxWindows = atLeast(v, 1, "spark.gte.longText.maxWindows");
      return this;
    }

    public Builder emptyText(EmptyTextMode v) {
      this.emptyText = v;
      return this;
    }

    public Builder sortByLength(boolean v) {
      this.sortByLength = v;
      return this;
    }

    public Builder padToMaxLength(boolean v) {
      this.padToMaxLength = v;
      return this;
    }

    public Builder sessionIdleSeconds(int v) {
      this.sessionIdleSeconds = atLeast(v, 0, "spark.gte.session.idleTimeout");
      return this;
    }

    public EncoderSpec build() {
      return new EncoderSpec(this);
    }

    private static int atLeast(int v, int min, String what) {
      if (v < min) {
        throw new SettingException(what + " must be >= " + min + ", got " + v + ".");
      }
      return v;
    }
  }
}
