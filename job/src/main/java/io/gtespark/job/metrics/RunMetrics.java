package io.gtespark.job.metrics;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.EncodeCounters;
import io.gtespark.udf.encode.EncoderSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The counts of a finished run (rows, nulls, empties, truncations, tokens, batches, seconds,
 * docs/s, device, threads, batch budget), printed as a summary and written as
 * {@value #FILE} next to the output.
 */
public final class RunMetrics {
  /** Name of the metrics file inside the output folder. */
  public static final String FILE = "_gte_metrics.json";

  private final Map<String, Object> values = new LinkedHashMap<>();

  /** Empty metrics of a stage, to be filled with {@link #put}. */
  public static RunMetrics forStage(String stage) {
    RunMetrics m = new RunMetrics();
    m.values.put("stage", stage);
    return m;
  }

  /** Metrics of an embed run. */
  public static RunMetrics of(String stage, EncodeCounters counters, EncoderSpec spec, double seconds, long rowsOut) {
    RunMetrics m = new RunMetrics();
    m.values.put("stage", stage);
    m.values.put("rowsOut", rowsOut);
    counters.toMap().forEach(m.values::put);
    m.values.put("seconds", Math.round(seconds * 1000) / 1000.0);
    m.values.put("docsPerSecond", seconds > 0 ? Math.round(counters.rows() / seconds * 10) / 10.0 : 0);
    m.values.put("paddingOverhead", counters.tokens() > 0
        ? Math.round(1000.0 * counters.paddedTokens() / counters.tokens()) / 1000.0 : 0);
    m.values.put("model", spec.identity().name());
    m.values.put("modelSha256", spec.identity().sha256());
    m.values.put("dimension", spec.identity().dimension());
    m.values.put("maxLength", spec.identity().maxLength());
    m.values.put("deviceRequested", spec.device().name().toLowerCase());
    m.values.put("deviceUsed", counters.batches() == 0 ? "none"
        : counters.gpuBatches() == 0 ? "cpu" : counters.gpuBatches() == counters.batches() ? "cuda" : "cuda+cpu");
    m.values.put("intraOpThreads", spec.threads());
    m.values.put("session", spec.tuning().toString());
    m.values.put("batchMaxTokens", spec.batchMaxTokens(counters.gpuBatches() > 0));
    m.values.put("longText", spec.longText().name().toLowerCase());
    m.values.put("emptyText", spec.emptyText().name().toLowerCase());
    // The driver JVM's peaks; in local mode the executors live in it too.
    m.values.put("driverPeakHeapMiB", MemoryProbe.peakHeapMiB());
    m.values.put("driverPeakRssMiB", MemoryProbe.peakRssMiB());
    return m;
  }

  /** Adds or replaces one value. */
  public RunMetrics put(String key, Object value) {
    values.put(key, value);
    return this;
  }

  /**
   * The pairs a search scored, with what the figure is: an accumulator summed by tasks, so a task
   * that Spark runs again (a retry, a lost cached block recomputed) adds its pairs twice.
   */
  public RunMetrics putPairsScored(long pairs) {
    values.put("pairsScored", pairs);
    values.put("pairsScoredNote", "an upper bound: counted by the scoring tasks, so a task that Spark ran again "
        + "(a retry, a recomputed cached block) counts its pairs twice; exact when no task was rerun");
    return this;
  }

  public Map<String, Object> values() {
    return values;
  }

  /** Writes {@value #FILE} into {@code outputDir}. */
  public void writeTo(String outputDir, Configuration conf) {
    OutputIdentity.writeJson(new Path(outputDir, FILE), values, conf);
  }

  /** One human-readable summary line. */
  public String summary() {
    return String.format("%s done: %s rows in %ss (%s docs/s); nulls %s, empties %s, truncated %s, tokens %s, batches %s",
        values.get("stage"), values.get("rows"), values.get("seconds"), values.get("docsPerSecond"),
        values.get("nulls"), values.get("empties"), values.get("truncated"), values.get("tokens"), values.get("batches"));
  }
}
