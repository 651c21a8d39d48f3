package io.gtespark.udf.spark;

import java.util.List;

/**
 * The engine's Spark properties. Each can live in {@code spark-defaults.conf}, a
 * {@code --properties-file} from {@code conf/}, {@code --conf}, or be set on the
 * {@link GteEmbedder} Transformer. Precedence: an explicit Transformer param or command-line
 * flag, then the session's {@code spark.gte.*} property, then the default beside each key.
 */
public final class GteConf {
  private GteConf() {}

  /** Prefix of every gte-spark property. */
  public static final String PREFIX = "spark.gte.";

  /** Bundled model name, or a model directory (local path or Hadoop-FS URI). */
  public static final String MODEL = "spark.gte.model";
  public static final String MODEL_DEFAULT = "bge-small-en-v1.5";

  /** Profile in conf/profiles to apply to a model directory; empty = from the directory's name. */
  public static final String PROFILE = "spark.gte.profile";
  public static final String PROFILE_DEFAULT = "";

  /** Max tokens per text including special tokens; 0 = the profile's (128). */
  public static final String MAX_LENGTH = "spark.gte.maxLength";
  public static final int MAX_LENGTH_DEFAULT = 0;

  /** cls or mean; empty = what the model declares. */
  public static final String POOLING = "spark.gte.pooling";
  public static final String POOLING_DEFAULT = "";

  /** L2-normalise vectors; empty = the profile's choice (true for all shipped profiles). */
  public static final String NORMALIZE = "spark.gte.normalize";
  public static final String NORMALIZE_DEFAULT = "";

  /** auto, cpu or cuda. */
  public static final String DEVICE = "spark.gte.device";
  public static final String DEVICE_DEFAULT = "auto";

  /** Token budget of one batch (rows x padded length); 0 = 1024 on CPU, 32768 on GPU. */
  public static final String BATCH_MAX_TOKENS = "spark.gte.batch.maxTokens";
  public static final int BATCH_MAX_TOKENS_DEFAULT = 0;

  /** Row cap of one batch, on top of the token budget. */
  public static final String BATCH_MAX_ROWS = "spark.gte.batch.maxRows";
  public static final int BATCH_MAX_ROWS_DEFAULT = 256;

  /** Rows read from a partition, then sorted and batched together; bounds task memory. */
  public static final String CHUNK_ROWS = "spark.gte.chunkRows";
  public static final int CHUNK_ROWS_DEFAULT = 2048;

  /** ONNX Runtime intra-op threads per session; 0 = spark.task.cpus (see EmbeddingSettings). */
  public static final String INTRA_OP_THREADS = "spark.gte.intraOpThreads";
  public static final int INTRA_OP_THREADS_DEFAULT = 0;

  /** Concurrent runs allowed on one GPU session (caps GPU memory with many task slots). */
  public static final String GPU_CONCURRENT_RUNS = "spark.gte.gpu.concurrentRuns";
  public static final int GPU_CONCURRENT_RUNS_DEFAULT = 2;

  /** truncate or window: what happens to texts over the max length. */
  public static final String LONG_TEXT = "spark.gte.longText";
  public static final String LONG_TEXT_DEFAULT = "truncate";

  /** Most windows per text in window mode; the rest of a longer text is dropped and counted. */
  public static final String MAX_WINDOWS = "spark.gte.longText.maxWindows";
  public static final int MAX_WINDOWS_DEFAULT = 32;

  /** null or embed: what a text without tokens (empty, whitespace) becomes. */
  public static final String EMPTY_TEXT = "spark.gte.emptyText";
  public static final String EMPTY_TEXT_DEFAULT = "null";

  /** Cut batches from length-sorted chunks; false only to measure what sorting buys. */
  public static final String SORT_BY_LENGTH = "spark.gte.batch.sortByLength";
  public static final String SORT_BY_LENGTH_DEFAULT = "true";

  /** Pad every batch to the max length; true only to measure what dynamic padding buys. */
  public static final String PAD_TO_MAX_LENGTH = "spark.gte.batch.padToMaxLength";
  public static final String PAD_TO_MAX_LENGTH_DEFAULT = "false";

  /** ONNX Runtime graph optimisation level: none, basic, extended or all. */
  public static final String ORT_OPT_LEVEL = "spark.gte.ort.optLevel";
  public static final String ORT_OPT_LEVEL_DEFAULT = "all";

  /** ONNX Runtime memory-pattern planning (true or false). */
  public static final String ORT_MEMORY_PATTERN = "spark.gte.ort.memoryPattern";
  public static final String ORT_MEMORY_PATTERN_DEFAULT = "true";

  /** ONNX Runtime CPU arena allocator (true or false). */
  public static final String ORT_CPU_ARENA = "spark.gte.ort.cpuArena";
  public static final String ORT_CPU_ARENA_DEFAULT = "true";

  /**
   * Seconds an ONNX session may sit unused before the JVM frees it (long-lived JVMs: notebooks,
   * the Thrift server, Spark Connect); 0 keeps sessions for the life of the JVM.
   */
  public static final String SESSION_IDLE_TIMEOUT = "spark.gte.session.idleTimeout";
  public static final int SESSION_IDLE_TIMEOUT_DEFAULT = 1800;

  /** Every engine key, for help texts and for rejecting misspelt keys. */
  public static final List<String> KEYS = List.of(
      MODEL, PROFILE, MAX_LENGTH, POOLING, NORMALIZE, DEVICE, BATCH_MAX_TOKENS, BATCH_MAX_ROWS,
      CHUNK_ROWS, INTRA_OP_THREADS, GPU_CONCURRENT_RUNS, LONG_TEXT, MAX_WINDOWS, EMPTY_TEXT, SORT_BY_LENGTH,
      PAD_TO_MAX_LENGTH, ORT_OPT_LEVEL, ORT_MEMORY_PATTERN, ORT_CPU_ARENA, SESSION_IDLE_TIMEOUT);
}
