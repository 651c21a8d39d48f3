package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.model.TinyOnnxModel;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Paths that used to give wrong output with exit status 0, or do the same work twice. */
class SilentWrongResultsTest extends SharedSparkSession {
  private static final Path SAMPLE = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath();
  /** Texts of the sample that have tokens: 50 rows less one null and one blank. */
  private static final int SAMPLE_TEXTS = 48;

  private static Map<String, String> metrics(String output) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, "_gte_metrics.json"), new Configuration());
  }

  @Test
  void aModelThatEmitsNanFailsTheEmbedAndCommitsNothing() throws Exception {
    float[] bias = new float[8];
    bias[5] = Float.NaN;
    Path model = TinyOnnxModel.tokenVectors(scratch.resolve("broken-export"),
        new float[] {1, 2, 3, 4, 5, 6, 7, 8}, bias);
    String out = path("nan-embeddings");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--model", model.toString(), "--output", out);
    assertEquals(1, run.exitCode, "a failure while running, not a usage error: " + run.err);
    assertTrue(run.err.contains("broken-export") && run.err.contains("NaN or infinite"), run.err);
    assertFalse(new File(out, "_SUCCESS").exists(), "no output was committed");
    String[] parts = new File(out).list((dir, name) -> name.startsWith("part-"));
    assertTrue(parts == null || parts.length == 0, "no rows were written");
  }

  @Test
  void vectorsThatAreNotUnitLengthAreScoredByCosine() {
    String raw = path("not-normalised");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--normalize", "false", "--output", raw).exitCode);
    Map<Long, float[]> v = new HashMap<>();
    double maxNorm = 0;
    for (Row r : spark.read().parquet(raw).filter("embedding IS NOT NULL").select("id", "embedding").collectAsList()) {
      float[] x = EngineOnSparkTest.toFloats(r.getList(1));
      v.put(r.getLong(0), x);
      maxNorm = Math.max(maxNorm, Math.sqrt(VectorMath.dot(x, x)));
    }
    assertTrue(maxNorm > 1.5, "the fixture must really be un-normalised: norm " + maxNorm);
    for (String[] extra : new String[][] {{}, {"--approx", "--nlist", "4", "--nprobe", "4"}}) {
      String out = path("cosine-" + extra.length);
      String[] args = concat(new String[] {"similarity", "--self", "--input", raw, "--top-k", "2", "--output", out},
          extra);
      CommandLineRun run = CommandLineRun.of(spark, args);
      assertEquals(0, run.exitCode, run.err);
      List<Row> rows = spark.read().parquet(out).collectAsList();
      assertEquals(2 * SAMPLE_TEXTS, rows.size());
      for (Row r : rows) {
        double cosine = VectorMath.cosine(v.get(r.getLong(0)), v.get(r.getLong(1)));
        assertEquals(cosine, r.getDouble(2), 1e-5, "score of " + r.getLong(0) + "-" + r.getLong(1));
      }
    }
  }

  /** A stored table whose row 7 holds {@code bad}; the other rows are fine. */
  private String vectorsWith(String name, Float bad) {
    List<Row> rows = new java.util.ArrayList<>();
    java.util.Random random = new java.util.Random(3);
    for (long id = 0; id < 40; id++) {
      List<Float> v = new java.util.ArrayList<>();
      for (int d = 0; d < 8; d++) {
        float fine = (float) random.nextGaussian();
        v.add(id == 7 && d == 2 ? bad : Float.valueOf(fine));
      }
      rows.add(org.apache.spark.sql.RowFactory.create(id, v));
    }
    String out = path(name);
    spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType()
        .add("id", org.apache.spark.sql.types.DataTypes.LongType, false)
        .add("embedding", org.apache.spark.sql.types.DataTypes.createArrayType(
            org.apache.spark.sql.types.DataTypes.FloatType, true))).write().parquet(out);
    return out;
  }

  @Test
  void aStoredVectorWithNanOrANullElementFailsEverySearchAndTheClusterNamingItsRow() {
    Map<String, String> tables = Map.of(vectorsWith("nan-vector", Float.NaN), "NaN or infinite",
        vectorsWith("null-element", null), "null element");
    tables.forEach((table, problem) -> {
      for (String[] args : new String[][] {
          {"similarity", "--self", "--input", table, "--top-k", "2"},
          {"similarity", "--self", "--input", table, "--top-k", "2", "--approx", "--nlist", "4", "--nprobe", "2"},
          {"cluster", "--input", table, "--k", "3"}}) {
        String out = path("bad-" + args[0] + "-" + args.length + "-" + problem.charAt(0));
        CommandLineRun run = CommandLineRun.of(spark, concat(args, new String[] {"--output", out}));
        assertEquals(1, run.exitCode, String.join(" ", args) + ": " + run.err);
        assertTrue(run.err.contains(problem) && run.err.contains("id 7"), run.err);
        assertFalse(new File(out, "_SUCCESS").exists() || new File(out, "assignments/_SUCCESS").exists(),
            "nothing was committed by " + String.join(" ", args));
      }
    });
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void rawTextIsEmbeddedOnceByClusterAndSimilarity() {
    long before = TextEncoder.textsEncodedInJvm();
    CommandLineRun cluster = CommandLineRun.of(spark, "cluster", "--input", SAMPLE.toString(), "--id-col", "id",
        "--text-col", "text", "--k", "3", "--output", path("raw-clusters"));
    assertEquals(0, cluster.exitCode, cluster.err);
    assertEquals(SAMPLE_TEXTS, TextEncoder.textsEncodedInJvm() - before, "cluster embedded the texts more than once");

    before = TextEncoder.textsEncodedInJvm();
    CommandLineRun self = CommandLineRun.of(spark, "similarity", "--self", "--input", SAMPLE.toString(), "--text-col",
        "text", "--with-text", "--top-k", "2", "--output", path("raw-self"));
    assertEquals(0, self.exitCode, self.err);
    assertEquals(SAMPLE_TEXTS, TextEncoder.textsEncodedInJvm() - before, "similarity embedded the texts more than once");
  }

  @Test
  void embedMetricsCountRowsFromTheCommittedOutput() {
    String out = path("exact-counts");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--partitions", "3", "--output", out, "--output-format", "delta").exitCode);
    Map<String, String> m = metrics(out);
    assertEquals("50", m.get("rowsOut"));
    assertTrue(m.get("countsNote").contains("exact"), m.toString());

    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--output", out, "--output-format", "delta", "--mode", "merge").exitCode);
    Map<String, String> merged = metrics(out);
    assertEquals("50", merged.get("rowsIn"));
    assertEquals("0", merged.get("rowsEmbedded"), "a rerun of the same input embeds nothing");
    assertEquals("50", merged.get("rowsUnchanged"));
  }

  /**
   * A merge whose embedded rows are lost from the cache after they were counted (as when an
   * executor holding the blocks dies) embeds them again for Delta's MERGE: the engine counters
   * then see every text twice, and the metrics must still say what was committed.
   */
  @Test
  void mergeCountsStayExactWhenTheEmbeddedRowsAreComputedTwice() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SparkListener dropCaches = new SparkListener() {
      @Override
      public void onJobEnd(SparkListenerJobEnd end) {
        sc.getPersistentRDDs().values().forEach(rdd -> rdd.unpersist(false));
      }
    };
    String out = path("recomputed-merge");
    long before = TextEncoder.textsEncodedInJvm();
    spark.sparkContext().addSparkListener(dropCaches);
    CommandLineRun run;
    try {
      run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text", "--id-col", "id",
          "--output", out, "--output-format", "delta", "--mode", "merge");
    } finally {
      spark.sparkContext().removeSparkListener(dropCaches);
    }
    assertEquals(0, run.exitCode, run.err);
    assertTrue(TextEncoder.textsEncodedInJvm() - before > SAMPLE_TEXTS,
        "the fixture must really embed some rows twice: " + (TextEncoder.textsEncodedInJvm() - before));
    Map<String, String> m = metrics(out);
    assertEquals("50", m.get("rowsIn"));
    assertEquals("50", m.get("rowsEmbedded"), "counted once, however often the rows were computed");
    assertEquals("50", m.get("rowsOut"));
    assertEquals(50, spark.read().format("delta").load(out).count());
  }

  @Test
  void onlyUsageErrorsExitWithTwoAndEngineSettingsGetTheirFlags() {
    CommandLineRun tooLong = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--max-length", "4096", "--output", path("never-long"));
    assertEquals(2, tooLong.exitCode);
    assertTrue(tooLong.err.contains("--max-length (spark.gte.maxLength)"), tooLong.err);

    // Hadoop's own IllegalArgumentException is a failure while running, not a usage error.
    CommandLineRun hadoop = CommandLineRun.of(spark, "embed", "--input", "", "--format", "json", "--text-col",
        "text", "--output", path("never-empty"));
    assertEquals(1, hadoop.exitCode, hadoop.err);
  }
}
