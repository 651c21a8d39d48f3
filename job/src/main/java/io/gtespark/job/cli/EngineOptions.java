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

  /**
   * The option specs of the engine flags. They carry no default of their own: an absent flag
   * leaves the {@code spark.gte.*} property, or the model profile's value, in force.
   */
  public static List<OptionSpec> specs() {
    return List.of(
        OptionSpec.deferring("--model", GteConf.MODEL, GteConf.MODEL_DEFAULT + " (bundled)",
            "a bundled model name, or a model directory: a local path, hdfs://, s3a://, ..."),
        OptionSpec.deferring("--profile", GteConf.PROFILE, "from the directory name",
            "the profile of a model directory: gte-small, gte-base or gte-large (see conf/profiles/)"),
        OptionSpec.deferring("--max-length", GteConf.MAX_LENGTH, "the profile's (128)",
            "tokens per text, special tokens included; at most 512"),
        OptionSpec.deferring("--pooling", GteConf.POOLING, "the model's own",
            "cls, mean, or graph (an export whose output is already pooled; chosen for such exports)"),
        OptionSpec.deferring("--normalize", GteConf.NORMALIZE, "true", "L2-normalise the vectors: true or false"),
        OptionSpec.deferring("--device", GteConf.DEVICE, GteConf.DEVICE_DEFAULT,
            "auto (the GPU Spark assigned the task, else the CPU), cpu, or cuda (an error if no GPU is usable)"),
        OptionSpec.deferring("--batch-tokens", GteConf.BATCH_MAX_TOKENS, "1024 on CPU, 32768 on GPU",
            "the token budget of one batch (rows x padded length)"),
        OptionSpec.deferring("--batch-rows", GteConf.BATCH_MAX_ROWS, String.valueOf(GteConf.BATCH_MAX_ROWS_DEFAULT),
            "the row cap of one batch"),
        OptionSpec.deferring("--chunk-rows", GteConf.CHUNK_ROWS, String.valueOf(GteConf.CHUNK_ROWS_DEFAULT),
            "rows sorted and batched together; this bounds task memory"),
        OptionSpec.deferring("--threads", GteConf.INTRA_OP_THREADS, "spark.task.cpus",
            "ONNX Runtime threads per executor session"),
        OptionSpec.deferring("--long-text", GteConf.LONG_TEXT, GteConf.LONG_TEXT_DEFAULT,
            "truncate (keep the first max-length tokens, count the text as truncated) or window "
                + "(average of word-aligned max-length windows)"),
        OptionSpec.deferring("--max-windows", GteConf.MAX_WINDOWS, String.valueOf(GteConf.MAX_WINDOWS_DEFAULT),
            "the window cap per text with --long-text window"),
        OptionSpec.deferring("--empty-text", GteConf.EMPTY_TEXT, GteConf.EMPTY_TEXT_DEFAULT,
            "null or embed: what a text with no tokens (empty, whitespace, control characters) becomes"));
  }

  /** Engine settings: the session's spark.gte.* properties with the command line's values on top. */
  public static EmbeddingSettings settings(SparkSession spark, StageOptions options) {
    Map<String, String> fromFlags = new LinkedHashMap<>();
    for (OptionSpec s : specs()) {
      String v = options.get(s.flag());
      if (v != null) {
        fromFlags.put(s.property(), v);
      }
    }
    return EmbeddingSettings.fromSession(spark).with(fromFlags);
  }
}
