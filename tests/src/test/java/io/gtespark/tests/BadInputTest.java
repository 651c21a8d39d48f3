package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.udf.encode.BundledSpec;
import io.gtespark.udf.encode.VectorMath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Dirty input and wrong inputs through the command line, and no document text in any log or error. */
class BadInputTest extends SharedSparkSession {
  private static final String MARKER = "QZXMARKER7731";

  private static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** id -> text (null for a JSON null); ids 5 appears twice. */
  private static Path dirtyCorpus() throws IOException {
    StringBuilder huge = new StringBuilder();
    while (huge.length() < 1_000_000) {
      huge.append(MARKER).append(" a long document about storage engines and query planning. ");
    }
    List<String> texts = new ArrayList<>();
    texts.add(null);
    texts.add("");
    texts.add("   \t  ");
    texts.add("\u0001\u0002\u0007");
    texts.add(huge.toString());
    texts.add(MARKER + " lone \uD800 surrogate and another \uDC00 one");
    texts.add(MARKER + " control \u0000 characters \u001b inside");
    texts.add(MARKER + " שלום עולם right-to-left text");
    texts.add(MARKER + " 中文文本和日本語のテキスト");
    texts.add(MARKER + " emoji \uD83D\uDE80\uD83D\uDC4D\uD83C\uDFFD");
    texts.add(MARKER + " <html><body><p class=\"x\">HTML &amp; entities</p></body></html>");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      lines.add("{\"id\": " + i + ", \"text\": " + (texts.get(i) == null ? "null" : json(texts.get(i))) + "}");
    }
    lines.add("{\"id\": 5, \"text\": " + json(MARKER + " a second row with id 5") + "}");
    Path p = scratch.resolve("dirty.jsonl");
    Files.write(p, lines, StandardCharsets.UTF_8);
    return p;
  }

  @Test
  void dirtyCorpusKeepsEveryRowFollowsTheRulesAndNeverLogsText() throws IOException {
    Path corpus = dirtyCorpus();
    String out = path("dirty-out");
    CommandLineRun run;
    CommandLineRun failed;
    String logs;
    try (LogCapture capture = new LogCapture()) {
      run = CommandLineRun.of(spark, "embed", "--input", corpus.toString(), "--text-col", "text", "--id-col", "id",
          "--output", out, "--partitions", "3");
      failed = CommandLineRun.of(spark, "embed", "--input", corpus.toString(), "--text-col", "text",
          "--output", out, "--mode", "append", "--max-length", "32");
      logs = capture.text();
    }
    assertEquals(0, run.exitCode, run.err);
    assertEquals(2, failed.exitCode);
    assertTrue(logs.contains("DAGScheduler"), "Spark's INFO logs were captured, so the check below means something");
    for (String printed : List.of(logs, run.out, run.err, failed.out, failed.err)) {
      assertFalse(printed.contains(MARKER), "document text leaked into logs or messages");
    }

    List<Row> rows = spark.read().parquet(out).orderBy("id").collectAsList();
    assertEquals(12, rows.size(), "rows in = rows out, duplicate ids kept");
    int nullVectors = 0;
    for (Row r : rows) {
      if (r.isNullAt(r.fieldIndex("embedding"))) {
        nullVectors++;
        assertTrue(r.getLong(r.fieldIndex("id")) <= 3, "only null/empty/whitespace/control-only rows: " + r.get(0));
      } else {
        float[] v = EngineOnSparkTest.toFloats(r.getList(r.fieldIndex("embedding")));
        assertEquals(384, v.length);
        assertEquals(1.0, Math.sqrt(VectorMath.dot(v, v)), 1e-5);
      }
    }
    assertEquals(4, nullVectors);
    Map<String, String> metrics = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, RunMetrics.FILE),
        new Configuration());
    assertEquals("12", metrics.get("rows"));
    assertEquals("1", metrics.get("nulls"));
    assertEquals("3", metrics.get("empties"));
    assertEquals("1", metrics.get("truncated"));
  }

  @Test
  void corruptParquetAmongGoodFilesFailsClearlyWithoutOutput() throws IOException {
    String good = path("good-parquet");
    EngineOnSparkTest.frame(List.of("alpha", "beta", "gamma", "delta"), 2).write().parquet(good);
    Files.write(Path.of(good, "part-99999-corrupt.snappy.parquet"), "not parquet at all".getBytes());
    String out = path("from-corrupt");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", good, "--text-col", "text", "--output", out);
    assertNotEquals(0, run.exitCode);
    assertTrue(run.err.contains("part-99999-corrupt"), "names the bad file: " + run.err);
    assertNoDataFiles(out);
  }

  @Test
  void brokenModelsFailBeforeAnyOutput() throws IOException {
    Path noTokenizer = Files.createDirectories(scratch.resolve("model-no-tokenizer"));
    Files.copy(BundledSpec.resolved().files().onnx(), noTokenizer.resolve("model.onnx"));
    Path notOnnx = Files.createDirectories(scratch.resolve("model-not-onnx"));
    Files.writeString(notOnnx.resolve("model.onnx"), "garbage");
    Files.copy(BundledSpec.resolved().files().tokenizer(), notOnnx.resolve("tokenizer.json"));
    Path input = scratch.resolve("two.jsonl");
    Files.write(input, List.of("{\"id\": 1, \"text\": \"a\"}", "{\"id\": 2, \"text\": \"b\"}"));
    String[][] cases = {{noTokenizer.toString(), "tokenizer.json"}, {notOnnx.toString(), "model.onnx"}};
    for (String[] c : cases) {
      String out = path("never-" + Path.of(c[0]).getFileName());
      CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text",
          "--output", out, "--model", c[0]);
      assertEquals(2, run.exitCode);
      assertTrue(run.err.contains(c[1]), run.err);
      assertEquals(1, run.err.trim().split("\n").length, "one clear message: " + run.err);
      assertFalse(Files.exists(Path.of(out)), "no output left behind");
    }
  }

  @Test
  void deltaTableOfAnotherDimensionIsRefused() throws IOException {
    String table = path("delta-768");
    spark.sql("CREATE TABLE delta.`" + table + "` (id BIGINT, text STRING, embedding ARRAY<FLOAT>) USING delta "
        + "TBLPROPERTIES ('gte.model.name' = 'gte-base', 'gte.model.sha256' = 'abc', 'gte.model.dimension' = '768', "
        + "'gte.model.pooling' = 'mean', 'gte.model.normalize' = 'true', 'gte.model.maxLength' = '128')");
    Path input = scratch.resolve("one.jsonl");
    Files.write(input, List.of("{\"id\": 1, \"text\": \"a\"}"));
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text",
        "--output", table, "--output-format", "delta", "--mode", "append");
    assertEquals(2, run.exitCode);
    assertTrue(run.err.contains("dim 768") && run.err.contains("dim 384"), run.err);
    assertEquals(0, spark.read().format("delta").load(table).count());
  }

  private static void assertNoDataFiles(String out) throws IOException {
    Path p = Path.of(out);
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".parquet")), "partial output in " + out);
    }
  }

}
