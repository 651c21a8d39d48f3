package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.VectorMath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Data-lake tables as users keep them: partitioned inputs and outputs, --where, --select, catalog tables, change feeds. */
class LakeTablesTest extends SharedSparkSession {
  private static final String[] DAYS = {"2024-01-01", "2024-01-02"};

  /** A Hive-style partitioned JSON input: 20 rows a day, ids unique across days. */
  private static String partitionedJson(String name, String suffix) throws IOException {
    Path root = scratch.resolve(name);
    for (int d = 0; d < DAYS.length; d++) {
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        int id = d * 100 + i;
        lines.add("{\"id\": " + id + ", \"source\": \"feed-" + (i % 2) + "\", \"text\": \"news item " + id
            + " of " + DAYS[d] + suffix + "\"}");
      }
      Path dir = Files.createDirectories(root.resolve("day=" + DAYS[d]));
      Files.write(dir.resolve("part.json"), lines, StandardCharsets.UTF_8);
    }
    return root.toString();
  }

  private static Map<String, String> metrics(String output) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, "_gte_metrics.json"),
        spark.sparkContext().hadoopConfiguration());
  }

  private static Map<String, String> filesWithTimes(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.collect(Collectors.toList())) {
        out.put(p.getFileName().toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }

  private static void embed(String... args) {
    CommandLineRun run = CommandLineRun.of(spark, args);
    assertEquals(0, run.exitCode, run.err);
  }

  @Test
  void partitionedJsonKeepsItsDaysAndOverwritePartitionsReplacesOnlyTheNewDay() throws Exception {
    String input = partitionedJson("lake-json", "");
    String out = path("lake-json-out");
    embed("embed", "--input", input, "--text-col", "text", "--id-col", "id", "--output", out);
    for (String day : DAYS) {
      assertTrue(Files.isDirectory(Paths.get(out, "day=" + day)), "partition directory day=" + day);
    }
    assertEquals(20, spark.read().parquet(out + "/day=2024-01-02").count(), "a reader of one day finds its rows");
    assertEquals(40, spark.read().parquet(out).select("id").distinct().count());
    assertEquals("[day]", metrics(out).get("partitionBy"));

    // The second day is re-delivered with other texts: only that day is embedded and replaced.
    Map<String, String> firstDay = filesWithTimes(Paths.get(out, "day=2024-01-01"));
    String redelivered = partitionedJson("lake-json-2", " (corrected)");
    embed("embed", "--input", redelivered, "--text-col", "text", "--id-col", "id", "--output", out,
        "--where", "day = '2024-01-02'", "--mode", "overwrite-partitions");
    assertEquals(firstDay, filesWithTimes(Paths.get(out, "day=2024-01-01")), "the other day is untouched");
    assertEquals(20, spark.read().parquet(out + "/day=2024-01-02").filter("text LIKE '%(corrected)'").count());
    assertEquals(40, spark.read().parquet(out).count());
    Map<String, String> m = metrics(out);
    assertEquals("20", m.get("rowsOut"), "--where selected one day");
    assertTrue(m.get("wherePushedDown").contains("PartitionFilters"), m.toString());

    // Flat rows are not appended into a partitioned folder: Spark could not read it back.
    CommandLineRun flat = CommandLineRun.of(spark, "embed", "--input", redelivered, "--text-col", "text",
        "--id-col", "id", "--output", out, "--mode", "append", "--partition-by", "none");
    assertEquals(2, flat.exitCode, flat.err);
    assertTrue(flat.err.contains("partitioned by [day]"), flat.err);
    assertEquals(40, spark.read().parquet(out).count());
  }

  @Test
  void partitionedParquetAndDeltaInputsGiveDeltaTablesPartitionedAlike() throws Exception {
    String parquet = path("lake-parquet");
    spark.read().json(partitionedJson("lake-src", "")).write().partitionBy("day").parquet(parquet);
    String fromParquet = path("lake-delta-1");
    embed("embed", "--input", parquet, "--text-col", "text", "--id-col", "id", "--output", fromParquet,
        "--output-format", "delta");
    assertEquals(List.of("day"), partitionColumns(fromParquet));

    String fromDelta = path("lake-delta-2");
    embed("embed", "--input", fromParquet, "--format", "delta", "--text-col", "text", "--id-col", "id",
        "--output", fromDelta, "--output-format", "delta", "--output-col", "embedding2");
    assertEquals(List.of("day"), partitionColumns(fromDelta));
    assertEquals(40, spark.read().format("delta").load(fromDelta).select("id").distinct().count());

    // Delta's dynamic partition overwrite: one day replaced, the other day's files stay in the table.
    List<String> dayOneFiles = filesOfDay(fromParquet, DAYS[0]);
    String corrected = path("lake-parquet-2");
    spark.read().json(partitionedJson("lake-src-2", " (corrected)")).write().partitionBy("day").parquet(corrected);
    embed("embed", "--input", corrected, "--text-col", "text", "--id-col", "id", "--output", fromParquet,
        "--output-format", "delta", "--where", "day = '2024-01-02'", "--mode", "overwrite-partitions");
    assertEquals(dayOneFiles, filesOfDay(fromParquet, DAYS[0]));
    assertEquals(20, spark.read().format("delta").load(fromParquet).filter("text LIKE '%(corrected)'").count());
    assertEquals(40, spark.read().format("delta").load(fromParquet).count());
  }

  @Test
  void selectKeepsExactlyTheChosenColumnsAndTheVector() throws Exception {
    String input = path("lake-flat");
    spark.read().json(partitionedJson("lake-flat-src", "")).drop("day").write().json(input);
    String out = path("lake-select");
    embed("embed", "--input", input, "--text-col", "text", "--id-col", "id", "--select", "id", "--output", out);
    assertEquals(List.of("id", "embedding"), Arrays.asList(spark.read().parquet(out).columns()));
    String dropped = path("lake-drop");
    embed("embed", "--input", input, "--text-col", "text", "--drop", "text", "--output", dropped);
    assertEquals(List.of("id", "source", "embedding"), Arrays.asList(spark.read().parquet(dropped).columns()));

    CommandLineRun bad = CommandLineRun.of(spark, "embed", "--input", input, "--text-col", "text", "--where",
        "no_such_column > 3", "--output", path("never"));
    assertEquals(2, bad.exitCode);
    assertTrue(bad.err.contains("--where") && bad.err.contains("no_such_column"), bad.err);
  }

  @Test
  void catalogTablesAreCreatedAppendedAndMergedByNameWithTheModelAsProperties() throws Exception {
    String input = path("lake-catalog-src");
    spark.read().json(partitionedJson("lake-catalog-json", "")).drop("day").write().json(input);
    embed("embed", "--input", input, "--text-col", "text", "--id-col", "id", "--output-table", "news_vectors");
    assertEquals(40, spark.table("news_vectors").count());
    Map<String, String> props = new TreeMap<>();
    spark.sql("SHOW TBLPROPERTIES news_vectors").collectAsList().forEach(r -> props.put(r.getString(0), r.getString(1)));
    assertEquals(64, props.get("gte.model.sha256").length(), props.toString());
    String location = spark.sql("DESCRIBE DETAIL news_vectors").first().getAs("location");
    assertEquals("40", metrics(location).get("rowsOut"), "the metrics file sits in the table's location");

    // A merge by name embeds nothing new; another model is refused before any row is embedded.
    embed("embed", "--input", input, "--text-col", "text", "--id-col", "id", "--output-table", "news_vectors",
        "--mode", "merge");
    assertEquals("0", metrics(location).get("rowsEmbedded"));
    CommandLineRun other = CommandLineRun.of(spark, "embed", "--input", input, "--text-col", "text", "--id-col",
        "id", "--output-table", "news_vectors", "--mode", "append", "--model", "bge-small-en-v1.5-q");
    assertEquals(2, other.exitCode, other.err);
    assertTrue(other.err.contains("news_vectors") || other.err.contains(location), other.err);
    assertEquals(40, spark.table("news_vectors").count());

    CommandLineRun both = CommandLineRun.of(spark, "embed", "--input", input, "--text-col", "text",
        "--output-table", "t", "--output", path("x"));
    assertEquals(2, both.exitCode);
    spark.read().json(input).write().format("parquet").saveAsTable("plain_parquet");
    CommandLineRun parquetTable = CommandLineRun.of(spark, "embed", "--input", input, "--text-col", "text",
        "--output-table", "plain_parquet", "--mode", "append");
    assertEquals(2, parquetTable.exitCode);
    assertTrue(parquetTable.err.contains("Delta"), parquetTable.err);

    // Catalog tables as inputs: a Parquet one is read as it is, a Delta one at a version that is recorded.
    String fromParquetTable = path("lake-from-parquet-table");
    embed("embed", "--input", "plain_parquet", "--format", "table", "--text-col", "text", "--output", fromParquetTable);
    assertEquals(40, spark.read().parquet(fromParquetTable).count());
    assertEquals(null, metrics(fromParquetTable).get("inputVersion"));
    String fromDeltaTable = path("lake-from-delta-table");
    embed("embed", "--input", "news_vectors", "--format", "table", "--text-col", "text", "--output-col", "again",
        "--output", fromDeltaTable);
    assertEquals(40, spark.read().parquet(fromDeltaTable).count());
    long latest = spark.sql("DESCRIBE HISTORY news_vectors LIMIT 1").first().<Long>getAs("version");
    assertEquals(String.valueOf(latest), metrics(fromDeltaTable).get("inputVersion"));
  }

  @Test
  void aChangeFeedKeepsTheVectorTableEqualToAFullReembeddingOfItsSource() throws Exception {
    String source = path("cdf-source");
    spark.read().json(partitionedJson("cdf-json", "")).drop("day").write().format("delta").save(source);
    spark.sql("ALTER TABLE delta.`" + source + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    String out = path("cdf-vectors");
    String[] merge = {"embed", "--input", source, "--format", "delta", "--text-col", "text", "--id-col", "id",
        "--output", out, "--output-format", "delta", "--mode", "merge"};
    embed(merge);
    String first = metrics(out).get("inputVersion");
    assertEquals("1", first, "the version read is recorded for the next run");

    // Three inserts, two text updates, one update of another column, two deletes: four commits.
    String table = "delta.`" + source + "`";
    spark.sql("INSERT INTO " + table + " VALUES (500, 'feed-0', 'a fresh item'), (501, 'feed-1', 'another one'), "
        + "(502, 'feed-0', 'and a third')");
    spark.sql("UPDATE " + table + " SET text = concat(text, ' (revised)') WHERE id IN (3, 4)");
    spark.sql("UPDATE " + table + " SET source = 'feed-9' WHERE id = 5");
    spark.sql("DELETE FROM " + table + " WHERE id IN (6, 7, 501)");
    String[] sinceFirst = java.util.stream.Stream.concat(Arrays.stream(merge), Stream.of("--since-version", first))
        .toArray(String[]::new);
    embed(sinceFirst);
    Map<String, String> m = metrics(out);
    assertEquals("4", m.get("rowsEmbedded"), "two inserts that survived and two new texts: " + m);
    assertEquals("1", m.get("rowsUnchanged"), "the row whose source changed keeps its vector: " + m);
    assertEquals("3", m.get("rowsDeleted"), m.toString());
    assertEquals("5", m.get("inputVersion"));

    String full = path("cdf-full");
    embed("embed", "--input", source, "--format", "delta", "--text-col", "text", "--id-col", "id", "--output", full,
        "--output-format", "delta");
    Map<Long, Row> expected = rowsById(full);
    Map<Long, Row> actual = rowsById(out);
    assertEquals(expected.keySet(), actual.keySet());
    assertEquals(40 + 3 - 3, actual.size());
    for (Map.Entry<Long, Row> e : expected.entrySet()) {
      Row a = actual.get(e.getKey());
      Row x = e.getValue();
      assertEquals((String) x.getAs("text"), (String) a.getAs("text"), "id " + e.getKey());
      assertEquals((String) x.getAs("source"), (String) a.getAs("source"), "id " + e.getKey());
      assertTrue(VectorMath.cosine(EngineOnSparkTest.toFloats(x.getList(x.fieldIndex("embedding"))),
          EngineOnSparkTest.toFloats(a.getList(a.fieldIndex("embedding")))) >= 0.99999,
          "id " + e.getKey());
    }

    // Nothing after the current version: nothing to do. A version beyond it, or a non-Delta input, is refused.
    embed(java.util.stream.Stream.concat(Arrays.stream(merge), Stream.of("--since-version", "5")).toArray(String[]::new));
    assertEquals("0", metrics(out).get("rowsEmbedded"));
    assertEquals("0", metrics(out).get("rowsDeleted"));
    CommandLineRun beyond = CommandLineRun.of(spark, java.util.stream.Stream.concat(Arrays.stream(merge),
        Stream.of("--since-version", "9")).toArray(String[]::new));
    assertEquals(2, beyond.exitCode, beyond.err);
    assertTrue(beyond.err.contains("from 0 to 5"), beyond.err);
    CommandLineRun append = CommandLineRun.of(spark, "embed", "--input", source, "--format", "delta", "--text-col",
        "text", "--id-col", "id", "--output", out, "--output-format", "delta", "--mode", "append",
        "--since-version", "1");
    assertEquals(2, append.exitCode, append.err);
    assertTrue(append.err.contains("--mode merge"), append.err);
  }

  /**
   * Delta reads the feed of a delete made with deletion vectors back from the files it touched: a
   * delete in every file makes each read of the feed a read of the table (here mostly bodies that
   * the vector table drops). A --since-version run reads it once for the rows to embed and the ids
   * to delete together (measured: 2.3 times the table's bytes in files scanned, where reading it
   * for each use scanned 6.1 times; Delta selects each touched file twice a read).
   */
  @Test
  void aChangeFeedIsReadOnceWhenADeleteTouchedEveryFile() throws Exception {
    String source = path("cdf-wide-source");
    long sourceBytes = DeletionVectorSource.write(spark,
        spark.read().json(partitionedJson("cdf-wide-json", "")).drop("day"), source, 4);
    String out = path("cdf-wide-vectors");
    String[] merge = {"embed", "--input", source, "--format", "delta", "--text-col", "text", "--id-col", "id",
        "--drop", "body", "--output", out, "--output-format", "delta", "--mode", "merge"};
    embed(merge);
    spark.sql("DELETE FROM delta.`" + source + "` WHERE id % 10 = 3"); // rows in every file

    embed(Stream.concat(Arrays.stream(merge), Stream.of("--since-version", "1")).toArray(String[]::new));
    Map<String, String> m = metrics(out);
    assertEquals("4", m.get("rowsDeleted"), m.toString());
    long scanned = Long.parseLong(m.get("fileBytesScanned"));
    assertTrue(scanned < 4 * sourceBytes, "the run scanned " + scanned + " bytes of files for a source of "
        + sourceBytes + ": its change feed more than once");
  }

  @Test
  void aChangeFeedThatWasNeverEnabledIsRefusedWithWhatToDo() throws Exception {
    String source = path("no-cdf-source");
    spark.read().json(partitionedJson("no-cdf-json", "")).drop("day").write().format("delta").save(source);
    String out = path("no-cdf-vectors");
    String[] merge = {"embed", "--input", source, "--format", "delta", "--text-col", "text", "--id-col", "id",
        "--output", out, "--output-format", "delta", "--mode", "merge"};
    embed(merge);
    spark.sql("DELETE FROM delta.`" + source + "` WHERE id = 3");
    CommandLineRun run = CommandLineRun.of(spark, java.util.stream.Stream.concat(Arrays.stream(merge),
        Stream.of("--since-version", "0")).toArray(String[]::new));
    assertEquals(2, run.exitCode, run.err);
    assertTrue(run.err.contains("delta.enableChangeDataFeed"), run.err);
    assertEquals(40, spark.read().format("delta").load(out).count(), "nothing was applied");
  }

  private static Map<Long, Row> rowsById(String table) {
    Map<Long, Row> out = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(table).collectAsList()) {
      out.put(r.getAs("id"), r);
    }
    return out;
  }

  private static List<String> partitionColumns(String table) {
    Row detail = spark.sql("DESCRIBE DETAIL delta.`" + table + "`").first();
    return detail.getList(detail.fieldIndex("partitionColumns"));
  }

  private static List<String> filesOfDay(String table, String day) {
    return spark.read().format("delta").load(table).filter("day = '" + day + "'")
        .selectExpr("input_file_name() AS f").distinct().collectAsList().stream().map(r -> r.getString(0)).sorted()
        .collect(Collectors.toList());
  }
}
