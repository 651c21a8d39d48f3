package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.index.IndexManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gte_search and gte_index_status, from a session whose only tie to gte-spark is
 * {@code spark.sql.extensions=io.gtespark.job.sql.GteSessionExtension}, and from a Spark Connect
 * client of that session: the rows equal those {@code similarity --index} writes.
 */
class IndexSqlTest extends SharedSparkSession {
  private static final String[] QUERIES = {"who won the football match", "baking bread at home",
      "stars and galaxies far away"};
  private static String index;
  private static String queries;
  private static org.apache.spark.sql.connect.SparkSession client;
  /** What similarity --index wrote for QUERIES at k = 5, nprobe 2, with topic. */
  private static Map<String, List<String>> cli;
  /** The catalog name of the index built with --output-table only. */
  private static final String NAMED = "gte_docs_index";
  /** index --output-table naming a table that is not an index. */
  private static CommandLineRun notAnIndex;

  /**
   * The 50 sample documents embedded (Delta) and indexed in 6 cells, carrying their topic, and
   * searched by the command line.
   */
  @BeforeAll
  static void buildIndex() throws IOException {
    spark.stop();
    spark = session("local[2]", "io.delta.sql.DeltaSparkSessionExtension,io.gtespark.job.sql.GteSessionExtension",
        ConnectServer.properties());
    String docs = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath().toString();
    String embedded = path("sql-embedded");
    CommandLineRun embed = CommandLineRun.of(spark, "embed", "--input", docs, "--text-col", "text", "--id-col", "id",
        "--output-format", "delta", "--output", embedded);
    assertEquals(0, embed.exitCode, embed.err);
    index = path("sql-index");
    CommandLineRun build = CommandLineRun.of(spark, "index", "--input", embedded, "--nlist", "6", "--with", "topic",
        "--output", index);
    assertEquals(0, build.exitCode, build.err);
    Path q = scratch.resolve("sql-queries.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < QUERIES.length; i++) {
      lines.add("{\"id\": \"q" + i + "\", \"text\": \"" + QUERIES[i] + "\"}");
    }
    Files.write(q, lines);
    queries = q.toString();
    // The command line runs before the Connect client exists: a client in this JVM becomes the
    // default session that the stages would pick up.
    String out = path("sql-cli");
    CommandLineRun search = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", queries,
        "--text-col", "text", "--top-k", "5", "--nprobe", "2", "--with", "topic", "--recall-sample", "0",
        "--output", out);
    assertEquals(0, search.exitCode, search.err);
    cli = byQuery(spark.read().parquet(out).collectAsList());
    assertEquals(QUERIES.length, cli.size());
    // The same index again, by catalog name only: its folder is the name's place in the warehouse.
    CommandLineRun named = CommandLineRun.of(spark, "index", "--input", embedded, "--nlist", "6", "--with", "topic",
        "--output-table", NAMED);
    assertEquals(0, named.exitCode, named.err);
    spark.read().json(docs).write().format("delta").saveAsTable("sql_plain_table");
    notAnIndex = CommandLineRun.of(spark, "index", "--input", embedded, "--output-table", "sql_plain_table");
    client = ConnectServer.start(spark);
  }

  @AfterAll
  static void stopServerAndClient() {
    ConnectServer.stop(client);
  }

  /** query_id -> "doc_id score rank topic" lines in rank order, scores to 6 places. */
  private static Map<String, List<String>> byQuery(List<Row> rows) {
    Map<String, List<String>> m = new TreeMap<>();
    rows.stream().sorted((a, b) -> Integer.compare(a.getInt(a.fieldIndex("rank")), b.getInt(b.fieldIndex("rank"))))
        .forEach(r -> m.computeIfAbsent(String.valueOf(r.get(r.fieldIndex("query_id"))), x -> new ArrayList<>())
            .add(r.get(r.fieldIndex("doc_id")) + String.format(" %.6f ", r.getDouble(r.fieldIndex("score")))
                + r.getInt(r.fieldIndex("rank")) + " " + r.getString(r.fieldIndex("topic"))));
    return m;
  }

  /** The first {@code k} CLI rows of query {@code i}. */
  private static List<String> cliTop(int i, int k) {
    return cli.get("q" + i).subList(0, k);
  }

  private static void searchSettings(org.apache.spark.sql.SparkSession session) {
    session.sql("SET spark.gte.similarity.nprobe=2");
    session.sql("SET spark.gte.similarity.with=topic");
  }

  @Test
  void aTableOfQueriesGivesTheRowsOfSimilarityIndex() {
    searchSettings(spark);
    spark.read().json(queries).createOrReplaceTempView("sql_queries");
    Dataset<Row> found = spark.sql("SELECT * FROM gte_search('" + index + "', TABLE(sql_queries), 4)");
    assertEquals(List.of("query_id", "doc_id", "score", "rank", "topic"), List.of(found.columns()));
    Map<String, List<String>> got = byQuery(found.collectAsList());
    assertEquals(cli.keySet(), got.keySet());
    for (int i = 0; i < QUERIES.length; i++) {
      assertEquals(cliTop(i, 4), got.get("q" + i));
    }
    // The football query finds football documents: the search is not merely self-consistent.
    assertTrue(got.get("q0").get(0).endsWith(" football"), got.get("q0").toString());
  }

  @Test
  void analysingExplainingOrAskingTheSchemaSearchesNothingAndASecondReadSearchesNoMore() throws Exception {
    searchSettings(spark);
    AtomicInteger jobs = new AtomicInteger();
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    SparkListener counter = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart start) {
        jobs.incrementAndGet();
        seen.add(start.stageInfos().head().name() + " " + start.stageInfos().head().details().split("\n")[0]);
      }
    };
    String sql = "SELECT * FROM gte_search('" + index + "', 'bread and butter', 3)";
    spark.sql(sql).collectAsList(); // the index's tables are loaded once, as any Delta read loads them
    spark.sparkContext().addSparkListener(counter);
    try {
      Dataset<Row> found = spark.sql(sql);
      assertEquals(List.of("query_id", "doc_id", "score", "rank", "topic"), List.of(found.columns()));
      String plan = spark.sql("EXPLAIN " + sql).collectAsList().get(0).getString(0);
      assertTrue(plan.contains("Scan"), plan);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(0, jobs.get(), "analysis, the schema and EXPLAIN ran no Spark job (no embedding, no search): " + seen);
      List<Row> first = found.collectAsList();
      assertEquals(3, first.size());
      spark.sparkContext().listenerBus().waitUntilEmpty();
      int searched = jobs.get();
      assertTrue(searched > 1, "reading the rows ran the search: " + searched + " jobs");
      assertEquals(first, found.collectAsList(), "a second read returns the same rows");
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(1, jobs.get() - searched, "a second read only reads the rows the first one found");
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
  }

  @Test
  void oneTextGivesTheRowsOfThatQueryInTheCli() {
    searchSettings(spark);
    for (int i = 0; i < QUERIES.length; i++) {
      List<Row> rows = spark.sql("SELECT * FROM gte_search('" + index + "', '" + QUERIES[i] + "', 5)")
          .collectAsList();
      Map<String, List<String>> got = byQuery(rows);
      assertEquals(List.of(QUERIES[i]), new ArrayList<>(got.keySet()), "query_id is the query text");
      assertEquals(cliTop(i, 5), got.get(QUERIES[i]));
    }
    // k falls back to spark.gte.similarity.topK.
    spark.sql("SET spark.gte.similarity.topK=2");
    assertEquals(2, spark.sql("SELECT * FROM gte_search('" + index + "', 'bread')").count());
    spark.conf().unset("spark.gte.similarity.topK");
  }

  @Test
  void aConnectClientSearchesTheIndexThroughSql() {
    searchSettings(client);
    List<Row> rows = client.sql("SELECT * FROM gte_search('" + index + "', '" + QUERIES[2] + "', 3)")
        .collectAsList();
    assertEquals(cliTop(2, 3), byQuery(rows).get(QUERIES[2]));
    Row status = client.sql("SELECT * FROM gte_index_status('" + index + "')").first();
    assertEquals(48L, status.getLong(status.fieldIndex("rows")));
    List<Row> byName = client.sql("SELECT * FROM gte_search('" + NAMED + "', '" + QUERIES[2] + "', 3)")
        .collectAsList();
    assertEquals(cliTop(2, 3), byQuery(byName).get(QUERIES[2]));
  }

  @Test
  void anIndexNamedInTheCatalogIsSearchedAndReadByItsName() {
    searchSettings(spark);
    Row status = spark.sql("SELECT * FROM gte_index_status('" + NAMED + "')").first();
    String folder = status.getString(status.fieldIndex("index"));
    assertTrue(folder.endsWith("/warehouse/" + NAMED), folder);
    assertEquals(48L, status.getLong(status.fieldIndex("rows")));
    // The name is a view of the current build's vectors: the indexed rows, with their cells.
    Dataset<Row> rows = spark.table(NAMED);
    assertEquals(48L, rows.count());
    assertTrue(List.of(rows.columns()).containsAll(List.of("id", "cell", "cell_group", "vector", "topic")));
    // Trained with the same seed on the same rows, it answers as the folder index does.
    for (int i = 0; i < QUERIES.length; i++) {
      Map<String, List<String>> got = byQuery(spark.sql("SELECT * FROM gte_search('" + NAMED + "', '" + QUERIES[i]
          + "', 5)").collectAsList());
      assertEquals(cliTop(i, 5), got.get(QUERIES[i]));
    }
    assertEquals(2, notAnIndex.exitCode, notAnIndex.out + notAnIndex.err);
    assertTrue(notAnIndex.err.contains("sql_plain_table is a table of the catalog but not an index"), notAnIndex.err);
  }

  @Test
  void theStatusIsTheManifestOfTheCurrentBuild() {
    IndexManifest m = IndexManifest.read(index, new Configuration());
    Row s = spark.sql("SELECT * FROM gte_index_status('" + index + "')").first();
    assertEquals(index, s.getString(s.fieldIndex("index")));
    assertEquals(1, s.getInt(s.fieldIndex("build")));
    assertEquals(48L, s.getLong(s.fieldIndex("rows"))); // 50 documents, one null and one empty text
    assertEquals(6, s.getInt(s.fieldIndex("nlist")));
    assertEquals(Double.parseDouble(m.get("imbalance")), s.getDouble(s.fieldIndex("imbalance")), 0.0);
    assertEquals(m.get("model"), s.getString(s.fieldIndex("model")));
    assertEquals("0", s.getString(s.fieldIndex("source_version")));
    Map<String, String> all = s.getJavaMap(s.fieldIndex("manifest"));
    assertEquals(m.values(), all);
  }

  @Test
  void badArgumentsAreRefusedWithWhatToDo() {
    Exception notIndex = assertThrows(Exception.class, () -> spark.sql("SELECT * FROM gte_search('"
        + path("no-such-index") + "', 'bread', 3)").collect());
    assertTrue(String.valueOf(notIndex.getMessage()).contains("is not an index"), notIndex.getMessage());
    Exception badK = assertThrows(Exception.class, () -> spark.sql("SELECT * FROM gte_search('" + index
        + "', 'bread', 0)").collect());
    assertTrue(String.valueOf(badK.getMessage()).contains("k must be at least 1"), badK.getMessage());
    Exception notCarried = assertThrows(Exception.class, () -> {
      spark.sql("SET spark.gte.similarity.with=title");
      try {
        spark.sql("SELECT * FROM gte_search('" + index + "', 'bread', 3)").collect();
      } finally {
        spark.conf().unset("spark.gte.similarity.with");
      }
    });
    assertTrue(String.valueOf(notCarried.getMessage()).contains("does not carry column 'title'"),
        notCarried.getMessage());
    // A table of queries without the id column: the error names the session property to set, not a flag.
    spark.createDataFrame(List.of(RowFactory.create("q1", "bread")), new StructType()
        .add("qid", DataTypes.StringType).add("text", DataTypes.StringType)).createOrReplaceTempView("sql_no_id");
    Exception noId = assertThrows(Exception.class, () -> spark.sql("SELECT * FROM gte_search('" + index
        + "', TABLE(sql_no_id), 3)").collect());
    String said = String.valueOf(noId.getMessage());
    assertTrue(said.contains("no id column 'id'") && said.contains("spark.gte.idCol") && !said.contains("--id-col"),
        said);
  }
}
