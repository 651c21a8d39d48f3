package io.gtespark.job.cli;

import io.gtespark.udf.spark.EmbeddingSettings;
import io.gtespark.udf.spark.GteConf;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** The engine flags every embedding stage accepts, each paired with its {@code spark.gte.*} key. */
public final class EngineOptions {
  private EngineOptions() {}

  /** Flag to engine property. */
  private static final Map<String, String> FLAG_TO_KEY = new LinkedHashMap<>();

  static {
    FLAG_TO_KEY.put("--model", GteConf.MODEL);
    FLAG_TO_KEY.put("--profile", GteConf.PROFILE);
    FLAG_TO_KEY.put("--max-length", GteConf.MAX_LENGTH);
    FLAG_TO_KEY.put("--pooling", GteConf.POOLING);
    FLAG_TO_KEY.put("--normalize", GteConf.NORMALIZE);
    FLAG_TO_KEY.put("--device", GteConf.DEVICE);
    FLAG_TO_KEY.put("--batch-tokens", GteConf.BATCH_MAX_TOKENS);
    FLAG_TO_KEY.put("--batch-rows", GteConf.BATCH_MAX_ROWS);
    FLAG_TO_KEY.put("--chunk-rows", GteConf.CHUNK_ROWS);
    FLAG_TO_KEY.put("--threads", GteConf.INTRA_OP_THREADS);
    FLAG_TO_KEY.put("--long-text", GteConf.LONG_TEXT);
    FLAG_TO_KEY.put("--max-windows", GteConf.MAX_WINDOWS);
    FLAG_TO_KEY.put("--empty-text", GteConf.EMPTY_TEXT);
  }

  /**
   * The option specs of the engine flags. They carry no default of their own: an absent flag
   * leaves the {@code spark.gte.*} property, or the model profile's value, in force.
   */
  public static List<OptionSpec> specs() {
    return List.of(
        OptionSpec.optional("--model", GteConf.MODEL, null,
            "bundled model name or model directory: local path, hdfs://, s3a://, ... (default "
                + GteConf.MODEL_DEFAULT + ", bundled)"),
        OptionSpec.optional("--profile", GteConf.PROFILE, null,
            "profile for a model directory: gte-small, gte-base or gte-large (default: from the directory name)"),
        OptionSpec.optional("--max-length", GteConf.MAX_LENGTH, null,
            "max tokens per text, special tokens included, up to 512 (default: the profile's, 128)"),
        OptionSpec.optional("--pooling", GteConf.POOLING, null, "cls or mean (default: the model's own)"),
        OptionSpec.optional("--normalize", GteConf.NORMALIZE, null, "L2-normalise vectors, true or false (default true)"),
        OptionSpec.optional("--device", GteConf.DEVICE, null, "auto, cpu or cuda (default auto)"),
        OptionSpec.optional("--batch-tokens", GteConf.BATCH_MAX_TOKENS, null,
            "token budget per batch, rows x padded length (default 1024 on CPU, 32768 on GPU)"),
        OptionSpec.optional("--batch-rows", GteConf.BATCH_MAX_ROWS, null,
            "row cap per batch (default " + GteConf.BATCH_MAX_ROWS_DEFAULT + ")"),
        OptionSpec.optional("--chunk-rows", GteConf.CHUNK_ROWS, null,
            "rows sorted and batched together; bounds task memory (default " + GteConf.CHUNK_ROWS_DEFAULT + ")"),
        OptionSpec.optional("--threads", GteConf.INTRA_OP_THREADS, null,
            "ONNX Runtime threads per executor session (default spark.task.cpus)"),
        OptionSpec.optional("--long-text", GteConf.LONG_TEXT, null,
            "truncate (cut and count) or window (average word-aligned windows) (default truncate)"),
        OptionSpec.optional("--max-windows", GteConf.MAX_WINDOWS, null,
            "windows per text in window mode (default " + GteConf.MAX_WINDOWS_DEFAULT + ")"),
        OptionSpec.optional("--empty-text", GteConf.EMPTY_TEXT, null,
            "null or embed: what an empty or whitespace-only text becomes (default null)"));
  }

  /** Engine settings: the session's spark.gte.* properties with the command line's values on top. */
  public static EmbeddingSettings settings(SparkSession spark, StageOptions options) {
    Map<String, String> fromFlags = new LinkedHashMap<>();
    FLAG_TO_KEY.forEach((flag, key) -> {
      String v = options.get(flag);
      if (v != null) {
        fromFlags.put(key, v);
      }
    });
    return EmbeddingSettings.fromSession(spark).with(fromFlags);
  }
}
