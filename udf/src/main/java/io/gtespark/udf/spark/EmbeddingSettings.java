package io.gtespark.udf.spark;

import io.gtespark.udf.SettingException;

import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.encode.EmptyTextMode;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.LongTextMode;
import io.gtespark.udf.encode.SessionTuning;
import io.gtespark.udf.model.ModelLocation;
import io.gtespark.udf.model.ModelResolver;
import io.gtespark.udf.model.PoolingMode;
import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The user's embedding settings before the model is resolved: {@code spark.gte.*} values with
 * overrides applied on top (see {@link GteConf} for keys, defaults and precedence). Immutable;
 * {@link #toSpec} resolves and validates the model on the driver.
 */
public final class EmbeddingSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, String> values;

  private EmbeddingSettings(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(new HashMap<>(values));
  }

  /** Settings from explicit key/value pairs (keys from {@link GteConf}). */
  public static EmbeddingSettings of(Map<String, String> values) {
    return new EmbeddingSettings(values);
  }

  /** The session's {@code spark.gte.*} properties. */
  public static EmbeddingSettings fromSession(SparkSession spark) {
    Map<String, String> m = new HashMap<>();
    scala.collection.immutable.Map<String, String> all = spark.conf().getAll();
    scala.collection.Iterator<scala.Tuple2<String, String>> it = all.iterator();
    while (it.hasNext()) {
      scala.Tuple2<String, String> kv = it.next();
      if (kv._1().startsWith(GteConf.PREFIX)) {
        m.put(kv._1(), kv._2());
      }
    }
    return new EmbeddingSettings(m);
  }

  /** These settings with {@code overrides} winning; null values in overrides are ignored. */
  public EmbeddingSettings with(Map<String, String> overrides) {
    Map<String, String> m = new HashMap<>(values);
    overrides.forEach((k, v) -> {
      if (v != null) {
        m.put(k, v);
      }
    });
    return new EmbeddingSettings(m);
  }

  /** These settings with one key set. */
  public EmbeddingSettings with(String key, String value) {
    return with(Collections.singletonMap(key, value));
  }

  /** The raw value of a key, or {@code fallback}. */
  public String get(String key, String fallback) {
    String v = values.get(key);
    return v == null ? fallback : v.trim();
  }

  int getInt(String key, int fallback) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new SettingException(key + " must be a whole number, got '" + v + "'.");
    }
  }

  boolean getBoolean(String key, String fallback) {
    String v = get(key, fallback);
    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
      throw new SettingException(key + " must be true or false, got '" + v + "'.");
    }
    return Boolean.parseBoolean(v);
  }

  /** The model named by these settings. */
  public String model() {
    return get(GteConf.MODEL, GteConf.MODEL_DEFAULT);
  }

  /**
   * Resolves and validates the model on the driver and returns the spec executors run with.
   * Model files reach executors as described in {@link ModelStaging}. Intra-op threads default
   * to {@code spark.task.cpus}: each concurrent task then drives its share of the executor's
   * cores, so threads x task slots = executor cores and nothing is oversubscribed.
   */
  public EncoderSpec toSpec(SparkSession spark) {
    ModelStaging.Staged staged = ModelStaging.stage(spark, model());
    int taskCpus = Integer.parseInt(spark.sparkContext().getConf().get("spark.task.cpus", "1"));
    return resolve(staged.localRef(), taskCpus, staged.locationFor(spark));
  }

  /**
   * Resolves the model for use in this JVM only (no Spark): the bare encoder loop, the model
   * card API. {@code defaultThreads} applies unless intra-op threads are set.
   */
  public EncoderSpec toLocalSpec(int defaultThreads) {
    return resolve(model(), defaultThreads, null);
  }

  private EncoderSpec resolve(
      String localRef, int defaultThreads, java.util.function.Function<ModelResolver.Resolved, ModelLocation> locate) {
    String pooling = get(GteConf.POOLING, GteConf.POOLING_DEFAULT);
    String normalize = get(GteConf.NORMALIZE, GteConf.NORMALIZE_DEFAULT);
    if (!normalize.isEmpty()) {
      getBoolean(GteConf.NORMALIZE, GteConf.NORMALIZE_DEFAULT);
    }
    ModelResolver.Resolved resolved = ModelResolver.resolve(
        localRef,
        get(GteConf.PROFILE, GteConf.PROFILE_DEFAULT),
        pooling.isEmpty() ? null : PoolingMode.parse(pooling, GteConf.POOLING),
        normalize.isEmpty() ? null : Boolean.valueOf(normalize),
        getInt(GteConf.MAX_LENGTH, GteConf.MAX_LENGTH_DEFAULT));
    ModelLocation location = locate != null ? locate.apply(resolved)
        : resolved.profile().isBundled() && localRef.equals(resolved.profile().name())
            ? ModelLocation.bundled(resolved.profile().name())
            : ModelLocation.local(resolved.files());
    int threads = getInt(GteConf.INTRA_OP_THREADS, GteConf.INTRA_OP_THREADS_DEFAULT);
    return EncoderSpec.builder(location, resolved.identity())
        .device(DeviceRequest.parse(get(GteConf.DEVICE, GteConf.DEVICE_DEFAULT), GteConf.DEVICE))
        .batchMaxTokens(getInt(GteConf.BATCH_MAX_TOKENS, GteConf.BATCH_MAX_TOKENS_DEFAULT))
        .batchMaxRows(getInt(GteConf.BATCH_MAX_ROWS, GteConf.BATCH_MAX_ROWS_DEFAULT))
        .chunkRows(getInt(GteConf.CHUNK_ROWS, GteConf.CHUNK_ROWS_DEFAULT))
        .tuning(new SessionTuning(threads > 0 ? threads : Math.max(1, defaultThreads),
            SessionTuning.OptLevel.parse(get(GteConf.ORT_OPT_LEVEL, GteConf.ORT_OPT_LEVEL_DEFAULT), GteConf.ORT_OPT_LEVEL),
            getBoolean(GteConf.ORT_MEMORY_PATTERN, GteConf.ORT_MEMORY_PATTERN_DEFAULT),
            getBoolean(GteConf.ORT_CPU_ARENA, GteConf.ORT_CPU_ARENA_DEFAULT)))
        .gpuConcurrentRuns(getInt(GteConf.GPU_CONCURRENT_RUNS, GteConf.GPU_CONCURRENT_RUNS_DEFAULT))
        .longText(LongTextMode.parse(get(GteConf.LONG_TEXT, GteConf.LONG_TEXT_DEFAULT), GteConf.LONG_TEXT))
        .maxWindows(getInt(GteConf.MAX_WINDOWS, GteConf.MAX_WINDOWS_DEFAULT))
        .emptyText(EmptyTextMode.parse(get(GteConf.EMPTY_TEXT, GteConf.EMPTY_TEXT_DEFAULT), GteConf.EMPTY_TEXT))
        .sortByLength(getBoolean(GteConf.SORT_BY_LENGTH, GteConf.SORT_BY_LENGTH_DEFAULT))
        .padToMaxLength(getBoolean(GteConf.PAD_TO_MAX_LENGTH, GteConf.PAD_TO_MAX_LENGTH_DEFAULT))
        .sessionIdleSeconds(getInt(GteConf.SESSION_IDLE_TIMEOUT, GteConf.SESSION_IDLE_TIMEOUT_DEFAULT))
        .build();
  }
}
