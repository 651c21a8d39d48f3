package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embed stage through its command line, on files the test writes. */
class EmbedCommandTest extends SharedSparkSession {
  private static String jsonl;

  @BeforeAll
  static void writeInput() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      String text = i == 7 ? "null" : i == 8 ? "\"   \"" : "\"document number " + i + " about topic " + (i % 4) + "\"";
      lines.add("{\"id\": " + i + ", \"text\": " + text + ", \"title\": \"title " + i + "\", \"n\": " + i + "}");
    }
    Path p = scratch.resolve("docs.jsonl");
    Files.write(p, lines, StandardCharsets.UTF_8);
    jsonl = p.toString();
  }

  @Test
  void jsonToParquetWithIdentityAndMetrics() {
    String out = path("emb-parquet");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--id-col", "id",
        "--output", out);
    assertEquals(0, run.exitCode, run.err);
    Dataset<Row> result = spark.read().parquet(out);
    assertEquals(40, result.count());
    assertEquals("array<float>", result.schema().apply("embedding").dataType().simpleString());
    assertEquals(2, result.filter("embedding IS NULL").count(), "null and blank text give null vectors");
    assertEquals(38, result.filter("size(embedding) = 384").count());
    assertEquals(40, result.select("id").distinct().count());

    Map<String, String> identity = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, OutputIdentity.SIDECAR),
        new Configuration());
    assertEquals("bge-small-en-v1.5", identity.get("gte.model.name"));
    assertEquals("384", identity.get("gte.model.dimension"));
    assertEquals(64, identity.get("gte.model.sha256").length());
    Map<String, String> metrics = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, RunMetrics.FILE),
        new Configuration());
    assertEquals("40", metrics.get("rows"));
    assertEquals("1", metrics.get("nulls"));
    assertEquals("1", metrics.get("empties"));
    assertEquals("cpu", metrics.get("deviceUsed"));
    assertTrue(run.out.contains("embed done: 40 rows"), run.out);
  }

  @Test
  void severalTextColumnsGiveSeveralVectorColumns() {
    String out = path("emb-two-cols");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--text-col", "title",
        "--output", out, "--output-format", "json");
    assertEquals(0, run.exitCode, run.err);
    Dataset<Row> result = spark.read().json(out);
    assertTrue(List.of(result.columns()).containsAll(List.of("text_embedding", "title_embedding", "n")));
    assertEquals(40, result.filter("size(title_embedding) = 384").count());
  }

  @Test
  void errorModeRefusesAnExistingOutputAndAppendChecksTheModel() {
    String out = path("emb-modes");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out).exitCode);
    CommandLineRun again = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out);
    assertEquals(2, again.exitCode);
    assertTrue(again.err.contains("already exists") && again.err.contains("--mode overwrite"), again.err);

    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out,
        "--mode", "append").exitCode);
    assertEquals(80, spark.read().parquet(out).count());

    CommandLineRun otherModel = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text",
        "--output", out, "--mode", "append", "--max-length", "64");
    assertEquals(2, otherModel.exitCode);
    assertTrue(otherModel.err.contains("cannot be mixed"), otherModel.err);
    assertEquals(80, spark.read().parquet(out).count(), "nothing written by the refused run");

    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out,
        "--mode", "overwrite", "--max-length", "64").exitCode);
    assertEquals(40, spark.read().parquet(out).count());
  }

  @Test
  void deltaOutputRecordsTheModelAsTableProperties() {
    String out = path("emb-delta");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out,
        "--output-format", "delta").exitCode);
    assertEquals(40, spark.read().format("delta").load(out).count());
    Row props = spark.sql("DESCRIBE DETAIL delta.`" + out + "`").select("properties").first();
    Map<String, String> m = scala.jdk.javaapi.CollectionConverters.asJava(props.<String, String>getMap(0));
    assertEquals("384", m.get("gte.model.dimension"));
    assertEquals("cls", m.get("gte.model.pooling"));
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", out,
        "--output-format", "delta", "--mode", "append").exitCode);
    assertEquals(80, spark.read().format("delta").load(out).count());
  }

  @Test
  void plainTextInputGetsFileAndLineAsIds() throws IOException {
    Path txt = scratch.resolve("lines.txt");
    Files.write(txt, List.of("first line", "second line", "", "fourth line"), StandardCharsets.UTF_8);
    String out = path("emb-text");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", txt.toString(), "--text-col", "text",
        "--output", out).exitCode);
    List<Row> rows = spark.read().parquet(out).orderBy("line").collectAsList();
    assertEquals(4, rows.size());
    assertEquals("lines.txt:1", rows.get(0).getAs("id"));
    assertEquals(2L, (long) rows.get(1).getAs("line"));
    assertEquals("second line", rows.get(1).getAs("text"));
    assertTrue(rows.get(2).isNullAt(rows.get(2).fieldIndex("embedding")), "the empty line has a null vector");
  }

  /** Several files, each cut into many splits: every id names its file and true line, run after run. */
  @Test
  void textIdsAreFileAndLineWhateverTheSplits() throws IOException {
    Path dir = Files.createDirectories(scratch.resolve("many-texts/sub"));
    java.util.Map<String, List<String>> files = new java.util.HashMap<>();
    for (String name : new String[] {"a.txt", "sub/b.txt", "c.txt"}) {
      List<String> lines = new ArrayList<>();
      for (int i = 1; i <= 40 + name.length() * 7; i++) {
        lines.add(name + " says line " + i + (i % 3 == 0 ? " with some more words to vary the length" : ""));
      }
      Files.write(dir.getParent().resolve(name), lines, StandardCharsets.UTF_8);
      files.put(name, lines);
    }
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("mapreduce.input.fileinputformat.split.maxsize", "300");
    conf.set("mapreduce.input.fileinputformat.input.dir.recursive", "true");
    try {
      for (int run = 0; run < 2; run++) {
        java.util.Map<String, String> byId = new java.util.HashMap<>();
        for (Row r : io.gtespark.job.io.TableReader.read(spark, dir.getParent().toString(),
            io.gtespark.job.io.InputFormat.TEXT).collectAsList()) {
          assertEquals(r.getString(1) + ":" + r.getLong(2), r.getString(0));
          assertTrue(byId.put(r.getString(0), r.getString(3)) == null, "id twice: " + r.getString(0));
        }
        int total = 0;
        for (java.util.Map.Entry<String, List<String>> f : files.entrySet()) {
          for (int i = 0; i < f.getValue().size(); i++) {
            assertEquals(f.getValue().get(i), byId.get(f.getKey() + ":" + (i + 1)), f.getKey() + " line " + (i + 1));
            total++;
          }
        }
        assertEquals(total, byId.size());
      }
    } finally {
      conf.unset("mapreduce.input.fileinputformat.split.maxsize");
      conf.unset("mapreduce.input.fileinputformat.input.dir.recursive");
    }
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhatToDo() {
    CommandLineRun unknownFlag = CommandLineRun.of(spark, "embed", "--input", jsonl, "--txt-col", "text");
    assertEquals(2, unknownFlag.exitCode);
    assertTrue(unknownFlag.err.contains("--txt-col") && unknownFlag.err.contains("embed --help"), unknownFlag.err);

    CommandLineRun missingCol = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "body",
        "--output", path("never"));
    assertEquals(2, missingCol.exitCode);
    assertTrue(missingCol.err.contains("'body'") && missingCol.err.contains("text"), missingCol.err);
    assertFalse(Files.exists(scratch.resolve("never")), "no output on a usage error");

    CommandLineRun numericCol = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "n",
        "--output", path("never"));
    assertEquals(2, numericCol.exitCode);
    assertTrue(numericCol.err.contains("must be a string"), numericCol.err);

    CommandLineRun missingInput = CommandLineRun.of(spark, "embed", "--input", path("nope/docs.parquet"),
        "--text-col", "text", "--output", path("never"));
    assertEquals(2, missingInput.exitCode);
    assertTrue(missingInput.err.contains("does not exist"), missingInput.err);

    CommandLineRun required = CommandLineRun.of(spark, "embed", "--input", jsonl);
    assertEquals(2, required.exitCode);
    assertTrue(required.err.contains("--text-col"), required.err);

    CommandLineRun stage = CommandLineRun.of(spark, "embedd");
    assertEquals(2, stage.exitCode);
    assertTrue(stage.err.contains("unknown stage"), stage.err);
  }

  @Test
  void propertiesStandInForFlagsAndFlagsWin() {
    String out = path("emb-props");
    spark.conf().set("spark.gte.maxLength", "32");
    spark.conf().set("spark.gte.textCols", "text");
    try {
      assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--output", out).exitCode);
      Map<String, String> identity = OutputIdentity.readJson(
          new org.apache.hadoop.fs.Path(out, OutputIdentity.SIDECAR), new Configuration());
      assertEquals("32", identity.get("gte.model.maxLength"));
      assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--output", out, "--mode", "overwrite",
          "--max-length", "48").exitCode);
      identity = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, OutputIdentity.SIDECAR), new Configuration());
      assertEquals("48", identity.get("gte.model.maxLength"));
    } finally {
      spark.conf().unset("spark.gte.maxLength");
      spark.conf().unset("spark.gte.textCols");
    }
  }

  @Test
  void helpListsEveryOptionWithItsProperty() {
    CommandLineRun help = CommandLineRun.of(spark, "embed", "--help");
    assertEquals(0, help.exitCode);
    for (String flag : List.of("--input", "--text-col", "--output-format", "--mode", "--model", "--max-length",
        "--pooling", "--device", "--long-text", "--empty-text")) {
      assertTrue(help.out.contains(flag), flag);
    }
    assertTrue(help.out.contains("spark.gte.maxLength"));
  }

  @Test
  void deltaAppendsWithATransactionVersionAreIdempotent() {
    String out = path("emb-txn");
    String[] base = {"embed", "--input", jsonl, "--text-col", "text", "--output", out, "--output-format", "delta",
        "--mode", "append", "--txn-app-id", "nightly-docs"};
    CommandLineRun first = CommandLineRun.of(spark, concat(base, "--txn-version", "1"));
    assertEquals(0, first.exitCode, first.err);
    assertEquals(40, spark.read().format("delta").load(out).count());
    assertEquals(0, CommandLineRun.of(spark, concat(base, "--txn-version", "1")).exitCode);
    assertEquals(40, spark.read().format("delta").load(out).count(), "a rerun of version 1 adds nothing");
    assertEquals(0, CommandLineRun.of(spark, concat(base, "--txn-version", "2")).exitCode);
    assertEquals(80, spark.read().format("delta").load(out).count());
    Row props = spark.sql("DESCRIBE DETAIL delta.`" + out + "`").select("properties").first();
    assertEquals("384", scala.jdk.javaapi.CollectionConverters.asJava(props.<String, String>getMap(0))
        .get("gte.model.dimension"));
    CommandLineRun parquet = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output",
        path("txn-parquet"), "--mode", "append", "--txn-app-id", "x", "--txn-version", "1");
    assertEquals(2, parquet.exitCode);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void float16VectorsHalveTheBytesAndKeepTheDirection() throws IOException {
    String f32 = path("emb-f32");
    String f16 = path("emb-f16");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--id-col", "id",
        "--output", f32).exitCode);
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--id-col", "id",
        "--output", f16, "--vector-type", "float16");
    assertEquals(0, run.exitCode, run.err);
    assertEquals("binary", spark.read().parquet(f16).schema().apply("embedding").dataType().simpleString());

    io.gtespark.udf.spark.GteSqlFunctions.registerDecoder(spark);
    Map<Long, float[]> a = new java.util.HashMap<>();
    for (Row r : spark.read().parquet(f32).filter("embedding IS NOT NULL").select("id", "embedding").collectAsList()) {
      a.put(r.getLong(0), EngineOnSparkTest.toFloats(r.getList(1)));
    }
    Dataset<Row> decoded = spark.read().parquet(f16).selectExpr("id", "gte_vector(embedding) AS v");
    double worst = 1;
    for (Row r : decoded.filter("v IS NOT NULL").collectAsList()) {
      worst = Math.min(worst, io.gtespark.udf.encode.VectorMath.cosine(a.get(r.getLong(0)),
          EngineOnSparkTest.toFloats(r.getList(1))));
    }
    assertEquals(38, a.size());
    assertTrue(worst >= 0.999, "float16 vs float32 cosine " + worst);
    long bytes32 = vectorBytes(f32);
    long bytes16 = vectorBytes(f16);
    System.out.printf("float16: worst cosine to float32 %.6f; data files %d vs %d bytes (%.2fx)%n", worst, bytes16,
        bytes32, (double) bytes32 / bytes16);
    assertTrue(bytes16 < bytes32 * 0.7, bytes16 + " vs " + bytes32);

    CommandLineRun mixed = CommandLineRun.of(spark, "embed", "--input", jsonl, "--text-col", "text", "--output", f16,
        "--mode", "append");
    assertEquals(2, mixed.exitCode, "float32 rows cannot be appended to a float16 table");
    String neighbours = path("f16-neighbours");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--self", "--input", f16, "--top-k", "2",
        "--output", neighbours).exitCode);
    assertEquals(38 * 2, spark.read().parquet(neighbours).count());
  }

  private static long vectorBytes(String dir) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.list(Path.of(dir))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  void csvOrcAndCatalogTablesAreReadByFormat() throws IOException {
    Path csv = scratch.resolve("docs.csv");
    Files.write(csv, List.of("id,text", "1,\"a text, with a comma\"", "2,\"a second text\"", "3,"),
        StandardCharsets.UTF_8);
    String fromCsv = path("emb-from-csv");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", csv.toString(), "--text-col", "text",
        "--output", fromCsv);
    assertEquals(0, run.exitCode, run.err);
    assertEquals(3, spark.read().parquet(fromCsv).count());
    assertEquals(2, spark.read().parquet(fromCsv).filter("size(embedding) = 384").count());

    String orc = path("docs-orc");
    spark.read().json(jsonl).write().orc(orc);
    String fromOrc = path("emb-from-orc");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", orc, "--text-col", "text", "--output", fromOrc)
        .exitCode);
    assertEquals(40, spark.read().parquet(fromOrc).count());

    spark.read().json(jsonl).createOrReplaceTempView("docs_view");
    String fromTable = path("emb-from-table");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", "docs_view", "--text-col", "text",
        "--output", fromTable).exitCode);
    assertEquals(40, spark.read().parquet(fromTable).count());
  }
}
