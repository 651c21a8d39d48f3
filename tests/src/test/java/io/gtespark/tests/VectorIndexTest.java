package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cells.CellSizes;
import io.gtespark.job.index.IndexManifest;
import io.gtespark.udf.encode.VectorMath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The index stage: a vector index built as Delta tables from an embedded Delta table. */
class VectorIndexTest extends SharedSparkSession {
  private static final int DIM = 16;
  private static final int TOPICS = 30;
  private static final int PER_TOPIC = 40;
  private static final int NULLS = 5;
  private static String source;
  private static Map<Long, float[]> vectors;

  /** 30 topics of 40 rows (a centre plus noise), 5 rows without a vector, a title per row; two commits. */
  @BeforeAll
  static void writeSource() {
    Random rnd = new Random(3);
    vectors = new HashMap<>();
    List<Row> rows = new ArrayList<>();
    long id = 0;
    for (int t = 0; t < TOPICS; t++) {
      float[] centre = gaussian(rnd, 1.0);
      for (int i = 0; i < PER_TOPIC; i++) {
        float[] v = gaussian(rnd, 0.3);
        for (int d = 0; d < DIM; d++) {
          v[d] = (v[d] + centre[d]) * 3; // not unit length: the index stores unit vectors
        }
        vectors.put(id, v.clone());
        rows.add(RowFactory.create(id, list(v), "title " + id));
        id++;
      }
    }
    for (int i = 0; i < NULLS; i++) {
      rows.add(RowFactory.create(id, null, "no vector " + id));
      id++;
    }
    source = path("index-source");
    StructType schema = new StructType().add("id", DataTypes.LongType).add("embedding",
        DataTypes.createArrayType(DataTypes.FloatType)).add("title", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(rows, schema);
    df.limit(0).write().format("delta").save(source);
    df.repartition(4).write().format("delta").mode("append").save(source); // version 1
  }

  private static float[] gaussian(Random rnd, double scale) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  private static List<Float> list(float[] v) {
    List<Float> out = new ArrayList<>(v.length);
    for (float f : v) {
      out.add(f);
    }
    return out;
  }

  private static CommandLineRun index(String... args) {
    List<String> all = new ArrayList<>(List.of("index"));
    all.addAll(List.of(args));
    return CommandLineRun.of(spark, all.toArray(new String[0]));
  }

  private static IndexManifest manifest(String index) {
    return IndexManifest.read(index, new Configuration());
  }

  @Test
  void buildsCellsVectorsAndAManifestOfTheSourceVersion() {
    String index = path("index-built");
    CommandLineRun run = index("--input", source, "--nlist", "24", "--group-rows", "200", "--with", "title",
        "--output", index);
    assertEquals(0, run.exitCode, run.err);
    IndexManifest m = manifest(index);
    assertNotNull(m);
    assertEquals(1, m.build());
    assertEquals("24", m.get("nlist"));
    assertEquals(String.valueOf(TOPICS * PER_TOPIC), m.get("rows"));
    assertEquals(String.valueOf(NULLS), m.get("rowsWithoutVector"));
    assertEquals("1", m.get("sourceVersion"));
    Row detail = DeltaTable.forPath(spark, source).detail().first();
    assertEquals(detail.getString(detail.fieldIndex("id")), m.get("sourceTableId"));
    assertEquals("title", m.get("with"));
    assertEquals("7", m.get("cellGroups")); // 1,205 rows (5 without a vector) at about 200 a group
    assertEquals(7, spark.read().format("delta").load(m.vectors(index)).inputFiles().length, "one file a group");

    // The centroids: one row a cell, unit vectors, each with its group.
    List<Row> centroids = spark.read().format("delta").load(m.centroids(index)).orderBy("cell").collectAsList();
    assertEquals(24, centroids.size());
    float[][] centres = new float[24][];
    int[] groupOf = new int[24];
    for (Row c : centroids) {
      int cell = c.getInt(0);
      groupOf[cell] = c.getInt(1);
      centres[cell] = floats(c.getList(2));
      assertEquals(1.0, norm(centres[cell]), 1e-4);
    }

    // Every row once, in its nearest cell and that cell's group, its vector made unit, its title carried.
    Dataset<Row> stored = spark.read().format("delta").load(m.vectors(index));
    List<Row> all = stored.select("id", "cell", "cell_group", "vector", "title").collectAsList();
    assertEquals(TOPICS * PER_TOPIC, all.size());
    long[] perCell = new long[24];
    for (Row r : all) {
      long id = r.getLong(0);
      float[] want = vectors.get(id).clone();
      VectorMath.normalize(want);
      float[] got = floats(r.getList(3));
      for (int d = 0; d < DIM; d++) {
        assertEquals(want[d], got[d], 1e-6);
      }
      int best = 0;
      for (int c = 1; c < 24; c++) {
        if (dot(want, centres[c]) > dot(want, centres[best])) {
          best = c;
        }
      }
      assertTrue(dot(want, centres[r.getInt(1)]) >= dot(want, centres[best]) - 1e-5, "row " + id + " not in its nearest cell");
      assertEquals(groupOf[r.getInt(1)], r.getInt(2));
      assertEquals("title " + id, r.getString(4));
      perCell[r.getInt(1)]++;
    }
    assertEquals(TOPICS * PER_TOPIC, stored.select("id").distinct().count());
    double squares = Arrays.stream(perCell).mapToDouble(n -> (double) n * n).sum();
    double imbalance = 24 * squares / Math.pow(TOPICS * PER_TOPIC, 2);
    assertEquals(imbalance, Double.parseDouble(m.get("imbalance")), 1e-4);
    assertEquals(Arrays.stream(perCell).max().getAsLong(), Long.parseLong(m.get("cellRowsMax")));

    // Laid out by cell group: one group's rows are read from that group's files alone.
    Row vectorsDetail = DeltaTable.forPath(spark, m.vectors(index)).detail().first();
    assertEquals(List.of("cell_group"), vectorsDetail.getList(vectorsDetail.fieldIndex("partitionColumns")));
    String[] allFiles = stored.inputFiles();
    String[] oneGroup = stored.filter("cell_group = 2").inputFiles();
    assertTrue(oneGroup.length > 0 && oneGroup.length < allFiles.length);
    for (String f : oneGroup) {
      assertTrue(f.contains("cell_group=2/"), f);
    }
    Map<String, String> props = DeltaTable.forPath(spark, m.vectors(index)).detail().first().getJavaMap(
        vectorsDetail.fieldIndex("properties"));
    assertEquals("1", props.get("gte.index.sourceVersion"));
    assertEquals("24", props.get("gte.index.nlist"));
    assertTrue(run.out.contains("index done: 1200 rows in 24 cells"), run.out);

    // Search results carry what the index carries, on request.
    String q = queries("index-queries-carried", 3, 2);
    String out = path("index-search-carried");
    CommandLineRun search = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "3",
        "--with", "title", "--recall-sample", "0", "--output", out);
    assertEquals(0, search.exitCode, search.err);
    List<Row> hits = spark.read().parquet(out).select("doc_id", "title").collectAsList();
    assertEquals(3 * 2 * 3, hits.size());
    for (Row h : hits) {
      assertEquals("title " + h.getLong(0), h.getString(1));
    }
    CommandLineRun missing = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--with",
        "body", "--output", path("index-search-missing"));
    assertEquals(2, missing.exitCode);
    assertTrue(missing.err.contains("does not carry column 'body'"), missing.err);
  }

  @Test
  void aNewBuildReplacesTheCurrentOneInOneStepAndTheOneBeforeItIsKept() throws Exception {
    String index = path("index-rebuilt");
    assertEquals(0, index("--input", source, "--nlist", "8", "--output", index).exitCode);
    CommandLineRun refused = index("--input", source, "--nlist", "8", "--output", index);
    assertEquals(2, refused.exitCode);
    assertTrue(refused.err.contains("already exists (build 1)"), refused.err);

    // What a crashed second build left behind is cleared by the next one.
    Path leftover = Path.of(index, "build-2", "vectors");
    Files.createDirectories(leftover);
    Files.writeString(leftover.resolve("half-written.parquet"), "not a table");
    assertEquals(0, index("--input", source, "--nlist", "12", "--mode", "overwrite", "--output", index).exitCode);
    IndexManifest second = manifest(index);
    assertEquals(2, second.build());
    assertEquals("12", second.get("nlist"));
    assertFalse(Files.exists(leftover.resolve("half-written.parquet")));
    assertEquals(TOPICS * PER_TOPIC, spark.read().format("delta").load(second.vectors(index)).count());
    assertTrue(Files.isDirectory(Path.of(index, "build-1")), "the previous build stays for readers that opened it");

    assertEquals(0, index("--input", source, "--nlist", "8", "--mode", "overwrite", "--output", index).exitCode);
    assertEquals(3, manifest(index).build());
    assertFalse(Files.exists(Path.of(index, "build-1")), "builds before the previous one are deleted");
    assertTrue(Files.isDirectory(Path.of(index, "build-2")));
  }

  @Test
  void refusesDuplicateIdsAFolderThatIsNotAnIndexAndATableWithoutVectors() throws Exception {
    String doubled = path("index-doubled-source");
    spark.read().format("delta").load(source).limit(100).write().format("delta").save(doubled);
    spark.read().format("delta").load(source).limit(10).write().format("delta").mode("append").save(doubled);
    String index = path("index-doubled");
    CommandLineRun run = index("--input", doubled, "--nlist", "4", "--output", index);
    assertEquals(2, run.exitCode);
    assertTrue(run.err.contains("10 more rows with a vector than distinct ids"), run.err);
    assertNull(manifest(index), "no index becomes current");

    Path other = Path.of(path("index-not-empty"));
    Files.createDirectories(other);
    Files.writeString(other.resolve("notes.txt"), "mine");
    CommandLineRun buried = index("--input", source, "--mode", "overwrite", "--output", other.toString());
    assertEquals(2, buried.exitCode);
    assertTrue(buried.err.contains("holds files that are not an index"), buried.err);
    assertTrue(Files.exists(other.resolve("notes.txt")));

    CommandLineRun noVectors = index("--input", source, "--vector-col", "vec", "--output", path("index-novec"));
    assertEquals(2, noVectors.exitCode);
    assertTrue(noVectors.err.contains("no vector column 'vec'"), noVectors.err);
  }

  /** Queries near rows of the first {@code topics} topics: each a source row's vector plus a little noise. */
  private static String queries(String name, int topics, int perTopic) {
    Random rnd = new Random(17);
    List<Row> rows = new ArrayList<>();
    for (int t = 0; t < topics; t++) {
      for (int i = 0; i < perTopic; i++) {
        float[] v = vectors.get((long) (t * PER_TOPIC + rnd.nextInt(PER_TOPIC))).clone();
        float[] noise = gaussian(rnd, 0.2);
        for (int d = 0; d < DIM; d++) {
          v[d] += noise[d];
        }
        rows.add(RowFactory.create("q" + t + "-" + i, list(v)));
      }
    }
    String p = path(name);
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType))).repartition(2).write().parquet(p);
    return p;
  }

  private static Map<String, String> metrics(String output) {
    return io.gtespark.job.io.OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, "_gte_metrics.json"),
        new Configuration());
  }

  @Test
  void searchingEveryCellOfTheIndexEqualsExactSearchOverTheSource() {
    String index = path("index-search");
    assertEquals(0, index("--input", source, "--nlist", "24", "--group-rows", "200", "--output", index).exitCode);
    String q = queries("index-queries-all", TOPICS, 2);
    String viaIndex = path("index-search-all");
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
        "--nprobe", "24", "--recall-sample", "20", "--output", viaIndex);
    assertEquals(0, run.exitCode, run.err);
    String exact = path("index-search-exact");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--queries", q, "--corpus", source, "--top-k", "5",
        "--output", exact).exitCode);
    List<Row> want = spark.read().parquet(exact).orderBy("query_id", "rank").collectAsList();
    List<Row> got = spark.read().parquet(viaIndex).orderBy("query_id", "rank").collectAsList();
    assertEquals(TOPICS * 2 * 5, want.size());
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).getString(0), got.get(i).getString(0));
      assertEquals(want.get(i).getLong(1), got.get(i).getLong(1), "rank " + want.get(i).getInt(3) + " of "
          + want.get(i).getString(0));
      assertEquals(want.get(i).getDouble(2), got.get(i).getDouble(2), 1e-5);
    }
    Map<String, String> m = metrics(viaIndex);
    assertEquals("index", m.get("search"));
    assertEquals("broadcast queries", m.get("indexScan"));
    assertEquals("1.0", m.get("recallAtK"));
    assertEquals("20", m.get("recallQueries"));
    assertEquals(m.get("indexGroups"), m.get("indexGroupsRead"), "probing every cell reads every group");
    assertEquals(String.valueOf(TOPICS * 2 * TOPICS * PER_TOPIC), m.get("pairsScored"), "each query against each row once");

    // A query set past the broadcast limit meets the rows in the packet shuffle instead: same lists.
    String shuffled = path("index-search-shuffled");
    spark.conf().set(io.gtespark.job.cells.CellSearch.BROADCAST_QUERY_BYTES, "0");
    try {
      assertEquals(0, CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
          "--nprobe", "24", "--recall-sample", "0", "--output", shuffled).exitCode);
    } finally {
      spark.conf().unset(io.gtespark.job.cells.CellSearch.BROADCAST_QUERY_BYTES);
    }
    assertEquals("shuffled queries", metrics(shuffled).get("indexScan"));
    List<Row> viaShuffle = spark.read().parquet(shuffled).orderBy("query_id", "rank").collectAsList();
    assertEquals(got.size(), viaShuffle.size());
    for (int i = 0; i < got.size(); i++) {
      assertEquals(got.get(i).getLong(1), viaShuffle.get(i).getLong(1));
      assertEquals(got.get(i).getDouble(2), viaShuffle.get(i).getDouble(2), 1e-6);
    }
  }

  @Test
  void queriesOnOneTopicReadOnlyTheGroupsTheyProbe() {
    String index = path("index-narrow");
    assertEquals(0, index("--input", source, "--nlist", "24", "--group-rows", "100", "--output", index).exitCode);
    String q = queries("index-queries-narrow", 1, 10);
    String out = path("index-search-narrow");
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
        "--nprobe", "2", "--recall-sample", "0", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    Map<String, String> m = metrics(out);
    int groups = Integer.parseInt(m.get("indexGroups"));
    int read = Integer.parseInt(m.get("indexGroupsRead"));
    assertEquals(13, groups); // 1,205 rows at about 100 a group
    assertTrue(read >= 1 && read <= 4, "ten queries of one topic probing 2 cells read " + read + " of " + groups);
    // Only the probed cells' rows are scored: 10 queries x at most 2 cells x the largest cell.
    assertTrue(Long.parseLong(m.get("pairsScored")) <= 10L * 2 * manifest(index).getLong("cellRowsMax"), m.toString());
    long tableBytes = 0;
    for (String f : spark.read().format("delta").load(manifest(index).vectors(index)).inputFiles()) {
      tableBytes += new java.io.File(java.net.URI.create(f)).length();
    }
    // The same queries probing every cell read every group: the files the scans selected differ by
    // most of the vectors table (both runs also read the queries, the centroids and Delta's log).
    String all = path("index-search-wide");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
        "--nprobe", "24", "--recall-sample", "0", "--output", all).exitCode);
    long narrow = Long.parseLong(m.get("fileBytesScanned"));
    long wide = Long.parseLong(metrics(all).get("fileBytesScanned"));
    assertTrue(wide - narrow > tableBytes / 2, "scanned " + narrow + " and " + wide + " bytes of a " + tableBytes
        + "-byte vectors table");
    assertEquals(String.valueOf(10 * 5), m.get("rowsOut"));
    assertEquals("0", m.get("recallQueries"), "no recall sample: the full table is not read");
  }

  @Test
  void aQueryReadsTheRowGroupsOfItsCellsNotTheirGroupsWholeFiles() {
    // 24 topics of 50 rows of 256 floats (1 KB a row): two groups of twelve cells, a row group a cell.
    Random rnd = new Random(5);
    int dim = 256;
    List<Row> rows = new ArrayList<>();
    float[] query = null;
    for (int t = 0; t < 24; t++) {
      float[] centre = new float[dim];
      for (int d = 0; d < dim; d++) {
        centre[d] = (float) rnd.nextGaussian();
      }
      for (int i = 0; i < 50; i++) {
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) {
          v[d] = centre[d] + (float) (0.2 * rnd.nextGaussian());
        }
        rows.add(RowFactory.create((long) rows.size(), list(v)));
        query = query == null ? v : query;
      }
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    String wide = path("index-source-wide");
    spark.createDataFrame(rows, schema).repartition(2).write().format("delta").save(wide);
    String index = path("index-row-groups");
    assertEquals(0, index("--input", wide, "--nlist", "24", "--group-rows", "600", "--output", index).exitCode);
    IndexManifest manifest = manifest(index);
    assertEquals("2", manifest.get("cellGroups"));
    Map<String, String> properties = new HashMap<>();
    for (Row r : spark.sql("SHOW TBLPROPERTIES delta.`" + manifest.vectors(index) + "`").collectAsList()) {
      properties.put(r.getString(0), r.getString(1));
    }
    assertEquals("50", properties.get("parquet.block.row.count.limit"), "a row group holds an average cell");
    // Cells are numbered group by group: a group's cells are one run of numbers.
    List<Row> groups = spark.read().format("delta").load(manifest.centroids(index)).orderBy("cell")
        .select("cell_group").collectAsList();
    for (int c = 1; c < groups.size(); c++) {
      assertTrue(groups.get(c).getInt(0) >= groups.get(c - 1).getInt(0), "cell " + c + "'s group");
    }
    String q = path("index-queries-row-groups");
    spark.createDataFrame(List.of(RowFactory.create(0L, list(query))), schema).write().parquet(q);
    String out = path("index-search-row-groups");
    // Spark's input metrics do not count Parquet's vectored reads; small buffers read what is asked.
    spark.conf().set("parquet.hadoop.vectored.io.enabled", "false");
    spark.conf().set("io.file.buffer.size", "4096");
    try {
      CommandLineRun run = CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
          "--nprobe", "1", "--recall-sample", "0", "--output", out);
      assertEquals(0, run.exitCode, run.err);
    } finally {
      spark.conf().unset("parquet.hadoop.vectored.io.enabled");
      spark.conf().unset("io.file.buffer.size");
    }
    Map<String, String> m = metrics(out);
    assertEquals("1", m.get("indexCellsRead"));
    assertEquals("1", m.get("indexGroupsRead"));
    assertTrue(Long.parseLong(m.get("pairsScored")) <= manifest.getLong("cellRowsMax"), "one cell scored");
    long groupBytes = 0;
    for (String f : spark.read().format("delta").load(manifest.vectors(index)).inputFiles()) {
      groupBytes += new java.io.File(java.net.URI.create(f)).length();
    }
    groupBytes /= 2; // two groups of twelve cells
    long read = Long.parseLong(m.get("indexBytesRead"));
    // Without row groups skipped it would read the whole file, and more.
    assertTrue(read > 0 && read < groupBytes / 2, "one cell of twelve read " + read + " bytes of a group's "
        + groupBytes);
    assertEquals("5", m.get("rowsOut"));
    assertEquals(0L, (long) spark.read().parquet(out).where("rank = 1").first().getAs("doc_id"), "the query is row 0");

    // An update marks replaced rows with deletion vectors: row groups are still skipped in such a file.
    spark.sql("DELETE FROM delta.`" + manifest.vectors(index) + "` WHERE id = 0");
    Row deleted = spark.sql("DESCRIBE HISTORY delta.`" + manifest.vectors(index) + "` LIMIT 1").first();
    Map<String, String> deleteMetrics = deleted.getJavaMap(deleted.fieldIndex("operationMetrics"));
    assertEquals("1", deleteMetrics.get("numDeletionVectorsAdded"), deleteMetrics.toString());
    String afterDelete = path("index-search-row-groups-dv");
    spark.conf().set("parquet.hadoop.vectored.io.enabled", "false");
    spark.conf().set("io.file.buffer.size", "4096");
    try {
      assertEquals(0, CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "5",
          "--nprobe", "1", "--recall-sample", "0", "--output", afterDelete).exitCode);
    } finally {
      spark.conf().unset("parquet.hadoop.vectored.io.enabled");
      spark.conf().unset("io.file.buffer.size");
    }
    long readWithDv = Long.parseLong(metrics(afterDelete).get("indexBytesRead"));
    assertTrue(readWithDv > 0 && readWithDv < groupBytes / 2, "with a deletion vector: " + readWithDv);
    assertEquals(0, spark.read().parquet(afterDelete).where("doc_id = 0").count(), "the deleted row is gone");
  }

  @Test
  void refusesAFolderWithoutAnIndexAndACorpusBesideIt() {
    String q = queries("index-queries-refused", 1, 2);
    CommandLineRun none = CommandLineRun.of(spark, "similarity", "--index", path("no-index-here"), "--queries", q,
        "--output", path("index-search-none"));
    assertEquals(2, none.exitCode);
    assertTrue(none.err.contains("it is not an index"), none.err);
    CommandLineRun both = CommandLineRun.of(spark, "similarity", "--index", path("no-index-here"), "--queries", q,
        "--corpus", source, "--output", path("index-search-both"));
    assertEquals(2, both.exitCode);
    assertTrue(both.err.contains("give --queries alone"), both.err);
  }

  /** A copy of the source's rows with a vector, as a Delta table with its change data feed on. */
  private static String feedSource(String name) {
    String p = path(name);
    Dataset<Row> base = spark.read().format("delta").load(source).filter("embedding IS NOT NULL");
    base.limit(0).write().format("delta").save(p);
    spark.sql("ALTER TABLE delta.`" + p + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    base.write().format("delta").mode("append").save(p);
    return p;
  }

  private static long commits(String table) {
    return DeltaTable.forPath(spark, table).history().count();
  }

  /** Rows (id, embedding, title) for ids {@code from..to-1}, each vector a noisy copy of row id - from's. */
  private static Dataset<Row> newRows(long from, long to, long seed) {
    return noisyCopies(from, (int) (to - from), 1, 0.5, seed);
  }

  /**
   * Rows (id, embedding, title) for ids {@code from..from+n-1}: row i's vector is row i·stride's
   * plus Gaussian noise of {@code scale}.
   */
  private static Dataset<Row> noisyCopies(long from, int n, int stride, double scale, long seed) {
    Random rnd = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = vectors.get((long) i * stride).clone();
      float[] noise = gaussian(rnd, scale);
      for (int d = 0; d < DIM; d++) {
        v[d] += noise[d];
      }
      rows.add(RowFactory.create(from + i, list(v), "new " + (from + i)));
    }
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType)).add("title", DataTypes.StringType));
  }

  @Test
  void anUpdateFollowsTheChangeFeedInOneCommitAndEachNewRowFindsItself() {
    String src = feedSource("index-feed-source");
    String index = path("index-feed");
    assertEquals(0, index("--input", src, "--nlist", "24", "--group-rows", "200", "--with", "title", "--output",
        index).exitCode);
    String vectorsTable = manifest(index).vectors(index);
    String builtAt = manifest(index).get("sourceVersion");
    long commitsBefore = commits(vectorsTable);

    // 12 new rows, 6 changed vectors (and titles), 6 deleted ids, 1 vector set to null: four commits.
    newRows(5000, 5012, 1).write().format("delta").mode("append").save(src);
    spark.sql("UPDATE delta.`" + src + "` SET embedding = transform(embedding, x -> -x), title = concat('changed ', "
        + "id) WHERE id < 6");
    spark.sql("DELETE FROM delta.`" + src + "` WHERE id >= 100 AND id < 106");
    spark.sql("UPDATE delta.`" + src + "` SET embedding = NULL WHERE id = 200");
    CommandLineRun run = index("--update", "--output", index);
    assertEquals(0, run.exitCode, run.err);
    IndexManifest m = manifest(index);
    long latest = DeltaTable.forPath(spark, src).history(1).select("version").first().getLong(0);
    assertEquals(String.valueOf(latest), m.get("sourceVersion"));
    assertEquals(builtAt, m.get("updatedFromVersion"));
    assertEquals("18", m.get("rowsUpserted")); // 12 new, 6 changed
    assertEquals("7", m.get("idsRemoved")); // 6 deleted, 1 without a vector now
    assertEquals(1, m.build(), "an update keeps the build");
    assertEquals(commitsBefore + 1, commits(vectorsTable), "one commit for the whole change set");
    assertTrue(run.out.contains("sizes from the change feed of versions"), run.out);
    assertSizesCounted(index);

    Dataset<Row> stored = spark.read().format("delta").load(vectorsTable);
    assertEquals(TOPICS * PER_TOPIC + 12 - 7, stored.count());
    assertEquals(String.valueOf(stored.count()), m.get("rows"));
    assertEquals(0, stored.filter("id >= 100 AND id < 106 OR id = 200").count(), "removed ids never come back");
    assertEquals(6, stored.filter("id < 6 AND title LIKE 'changed %'").count());
    for (Row r : stored.filter("id < 6").select("id", "vector").collectAsList()) {
      float[] want = vectors.get(r.getLong(0)).clone();
      VectorMath.normalize(want);
      assertEquals(-want[0], floats(r.getList(1))[0], 1e-6, "the changed vector is stored");
    }

    // Each new row, searched by its own vector, is its own nearest neighbour.
    String q = path("index-feed-queries");
    newRows(5000, 5012, 1).drop("title").write().parquet(q);
    String out = path("index-feed-found");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--index", index, "--queries", q, "--top-k", "1",
        "--nprobe", "4", "--recall-sample", "0", "--output", out).exitCode);
    List<Row> found = spark.read().parquet(out).collectAsList();
    assertEquals(12, found.size());
    for (Row r : found) {
      assertEquals(r.getLong(0), r.getLong(1));
      assertEquals(1.0, r.getDouble(2), 1e-5);
    }

    // Nothing new: no commit, the same manifest version.
    CommandLineRun again = index("--update", "--output", index);
    assertEquals(0, again.exitCode, again.err);
    assertTrue(again.out.contains("0 rows added or changed, 0 ids removed"), again.out);
    assertEquals(commitsBefore + 1, commits(vectorsTable));
  }

  /**
   * Delta derives the feed rows of a delete made with deletion vectors from the files it touched,
   * so reading the feed of a delete spread over the table reads the whole table (here mostly
   * bodies that the index does not carry; one read of this feed selects the files twice, 2.0 times
   * the table's bytes). The update reads it once, not once for the rows it routes and again for
   * the ids it removes (4.0 times the table before).
   */
  @Test
  void anUpdateReadsTheChangeFeedOnceWhenADeleteTouchedEveryFile() {
    String src = path("index-wide-source");
    long sourceBytes = DeletionVectorSource.write(spark,
        spark.read().format("delta").load(source).filter("embedding IS NOT NULL"), src, 6);
    String index = path("index-wide");
    assertEquals(0, index("--input", src, "--nlist", "12", "--output", index).exitCode);
    spark.sql("DELETE FROM delta.`" + src + "` WHERE id % 40 = 7"); // rows in every file

    CommandLineRun run = index("--update", "--output", index);
    assertEquals(0, run.exitCode, run.err);
    assertEquals("30", manifest(index).get("idsRemoved"));
    long scanned = Long.parseLong(metrics(index).get("fileBytesScanned"));
    assertTrue(scanned < 3 * sourceBytes, "the update scanned " + scanned + " bytes of files for a source of "
        + sourceBytes + ": its change feed more than once");
  }

  @Test
  void anUpdateThatCrashedAfterItsCommitIsRerunExactlyOnce() throws Exception {
    String src = feedSource("index-crash-source");
    String index = path("index-crash");
    assertEquals(0, index("--input", src, "--nlist", "16", "--output", index).exitCode);
    Path manifestFile = Path.of(index, IndexManifest.FILE);
    String before = Files.readString(manifestFile);
    String vectorsTable = manifest(index).vectors(index);
    Path sizesFile = Path.of(vectorsTable).getParent().resolve("_cell_sizes");
    byte[] sizesBefore = Files.readAllBytes(sizesFile);
    newRows(7000, 7010, 2).write().format("delta").mode("append").save(src);
    spark.sql("DELETE FROM delta.`" + src + "` WHERE id < 3");
    assertEquals(0, index("--update", "--output", index).exitCode);
    long commitsAfter = commits(vectorsTable);
    // The crash: the MERGE committed; the cell sizes and the manifest are still the build's.
    Files.writeString(manifestFile, before);
    Files.deleteIfExists(Path.of(index, "." + IndexManifest.FILE + ".crc")); // the local file system's checksum
    Files.write(sizesFile, sizesBefore);
    Files.deleteIfExists(sizesFile.resolveSibling("._cell_sizes.crc"));
    CommandLineRun rerun = index("--update", "--output", index);
    assertEquals(0, rerun.exitCode, rerun.err);
    assertEquals(commitsAfter, commits(vectorsTable), "the rerun's MERGE was skipped as already committed");
    assertTrue(rerun.out.contains("sizes from the change feed"), "the committed MERGE counted once: " + rerun.out);
    assertSizesCounted(index);
    Dataset<Row> stored = spark.read().format("delta").load(vectorsTable);
    assertEquals(TOPICS * PER_TOPIC + 10 - 3, stored.count());
    assertEquals(stored.count(), stored.select("id").distinct().count(), "no row doubled");
    long latest = DeltaTable.forPath(spark, src).history(1).select("version").first().getLong(0);
    assertEquals(String.valueOf(latest), manifest(index).get("sourceVersion"));
  }

  @Test
  void anUpdateMatchesStringIdsOverTheirWholeRangeInSparksOrder() {
    // The MERGE also matches on the change set's id range. The new "doc-\uFF5E" sorts above the
    // changed "doc-\uD835\uDD18" in Java's UTF-16 order and below it in Spark's UTF-8 order: a
    // range taken in Java's order would leave the changed row unmatched and index it twice.
    String bmp = "doc-\uFF5E";
    String supplementary = "doc-\uD835\uDD18";
    String src = path("index-string-ids-source");
    StructType schema = new StructType().add("id", DataTypes.StringType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    List<Row> rows = new ArrayList<>();
    for (long i = 0; i < 300; i++) {
      rows.add(RowFactory.create(String.format("doc-%04d", i), list(vectors.get(i))));
    }
    rows.add(RowFactory.create(supplementary, list(vectors.get(300L))));
    spark.createDataFrame(rows, schema).write().format("delta").option("delta.enableChangeDataFeed", "true")
        .save(src);
    String index = path("index-string-ids");
    assertEquals(0, index("--input", src, "--nlist", "8", "--output", index).exitCode);

    // One commit: the new id, the changed vector, a deleted id.
    float[] turned = vectors.get(300L).clone();
    for (int d = 0; d < DIM; d++) {
      turned[d] = -turned[d];
    }
    spark.createDataFrame(List.of(RowFactory.create(bmp, list(vectors.get(301L)), false),
            RowFactory.create(supplementary, list(turned), false), RowFactory.create("doc-0150", null, true)),
            schema.add("gone", DataTypes.BooleanType)).createOrReplaceTempView("string_id_changes");
    spark.sql("MERGE INTO delta.`" + src + "` t USING string_id_changes s ON t.id = s.id "
        + "WHEN MATCHED AND s.gone THEN DELETE WHEN MATCHED THEN UPDATE SET embedding = s.embedding "
        + "WHEN NOT MATCHED THEN INSERT (id, embedding) VALUES (s.id, s.embedding)");
    CommandLineRun run = index("--update", "--output", index);
    assertEquals(0, run.exitCode, run.err);
    Dataset<Row> stored = spark.read().format("delta").load(manifest(index).vectors(index));
    assertEquals(301, stored.count());
    assertEquals(301, stored.select("id").distinct().count(), "no id indexed twice");
    assertEquals(0, stored.filter("id = 'doc-0150'").count());
    float[] want = vectors.get(300L).clone();
    VectorMath.normalize(want);
    Row changed = stored.filter(stored.col("id").equalTo(supplementary)).select("vector").first();
    assertEquals(-want[0], floats(changed.getList(0))[0], 1e-6, "the changed vector replaced the old one");
    assertEquals(1, stored.filter(stored.col("id").equalTo(bmp)).count());
  }

  @Test
  void anUpdateRefusesAGapInTheFeedAndAnotherTableAndRetrainsPastTheImbalanceLimit() {
    String noFeed = path("index-nofeed-source");
    spark.read().format("delta").load(source).filter("embedding IS NOT NULL").write().format("delta").save(noFeed);
    String index = path("index-nofeed");
    assertEquals(0, index("--input", noFeed, "--nlist", "8", "--output", index).exitCode);
    newRows(9000, 9005, 3).write().format("delta").mode("append").save(noFeed);
    CommandLineRun gap = index("--update", "--output", index);
    assertEquals(2, gap.exitCode);
    assertTrue(gap.err.contains("change data feed"), gap.err);
    assertEquals("0", manifest(index).get("sourceVersion"), "a refused update records nothing");
    CommandLineRun negative = index("--update", "--compact-files", "-1", "--output", index);
    assertEquals(2, negative.exitCode);
    assertTrue(negative.err.contains("--compact-files must be 0"), negative.err);

    String other = feedSource("index-other-source");
    CommandLineRun wrongTable = index("--update", "--input", other, "--output", index);
    assertEquals(2, wrongTable.exitCode);
    assertTrue(wrongTable.err.contains("another table"), wrongTable.err);

    String src = feedSource("index-retrain-source");
    String retrained = path("index-retrain");
    // Registered in the catalog as well, and updated by that name alone.
    assertEquals(0, index("--input", src, "--nlist", "8", "--output", retrained, "--output-table",
        "retrained_index").exitCode);
    newRows(8000, 8040, 4).write().format("delta").mode("append").save(src);
    CommandLineRun run = index("--update", "--retrain-if-imbalance", "1.0", "--compact-files", "1", "--output-table",
        "retrained_index");
    assertEquals(0, run.exitCode, run.err);
    IndexManifest m = manifest(retrained);
    assertEquals(2, m.build(), "the update past the limit built the index anew");
    assertEquals(String.valueOf(TOPICS * PER_TOPIC + 40), m.get("rows"));
    assertEquals("true", metrics(retrained).get("retrained"));
    // The new rows gave a group a second file, but the build about to replace it was not compacted first.
    assertEquals("0", metrics(retrained).get("update.groupsCompacted"));
    assertTrue(Integer.parseInt(metrics(retrained).get("update.vectorFiles")) > Integer.parseInt(m.get("cellGroups")),
        metrics(retrained).toString());
    // The name now reads the new build's rows.
    Dataset<Row> named = spark.table("retrained_index");
    assertEquals(TOPICS * PER_TOPIC + 40, named.count());
    assertTrue(java.util.Arrays.stream(named.inputFiles()).allMatch(f -> f.contains("/build-2/")),
        java.util.Arrays.toString(named.inputFiles()));
    assertEquals("retrained_index", m.get("table"), "the manifest records the name");
    // A rebuild by folder alone moves the recorded name too: it never reads a build that is gone.
    assertEquals(0, index("--input", src, "--nlist", "8", "--output", retrained, "--mode", "overwrite").exitCode);
    assertEquals(3, manifest(retrained).build());
    assertEquals("retrained_index", manifest(retrained).get("table"));
    assertTrue(java.util.Arrays.stream(spark.table("retrained_index").inputFiles()).allMatch(f -> f.contains(
        "/build-3/")), java.util.Arrays.toString(spark.table("retrained_index").inputFiles()));
  }

  /** Files holding rows of each cell group of the vectors table's latest version. */
  private static Map<Integer, Long> filesByGroup(String vectorsTable) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    Dataset<Row> files = spark.read().format("delta").load(vectorsTable)
        .select(org.apache.spark.sql.functions.col("cell_group"),
            org.apache.spark.sql.functions.col("_metadata.file_path").as("file")).distinct();
    for (Row r : files.groupBy("cell_group").count().collectAsList()) {
      out.put(r.getInt(0), r.getLong(1));
    }
    return out;
  }

  @Test
  void updatesThatWearACellGroupDownAreFollowedByARewriteOfItSortedByCellWithTheSameRows() throws Exception {
    String src = feedSource("index-compact-source");
    String index = path("index-compact");
    assertEquals(0, index("--input", src, "--nlist", "24", "--group-rows", "200", "--output", index).exitCode);
    String vectorsTable = manifest(index).vectors(index);
    int groups = Integer.parseInt(manifest(index).get("cellGroups"));
    assertEquals(String.valueOf(groups), manifest(index).get("vectorFiles"), "a build writes a file a group");

    // A day of new rows in every topic, not compacted: most groups get a second, unsorted file.
    noisyCopies(9000, 60, TOPICS * PER_TOPIC / 60, 0.1, 4).write().format("delta").mode("append").save(src);
    CommandLineRun day = index("--update", "--compact-files", "0", "--output", index);
    assertEquals(0, day.exitCode, day.err);
    assertEquals("0", manifest(index).get("groupsCompacted"));
    assertSizesCounted(index);
    Map<Integer, Long> worn = filesByGroup(vectorsTable);
    long twoFiles = worn.values().stream().filter(n -> n == 2).count();
    assertTrue(twoFiles >= 2, "the new rows reached several groups: " + worn);
    assertEquals(String.valueOf(groups + twoFiles), manifest(index).get("vectorFiles"));
    long before = DeltaTable.forPath(spark, vectorsTable).history(1).select("version").first().getLong(0);

    // Nothing new in the source, but past --compact-files 1: only the worn groups are rewritten.
    CommandLineRun compact = index("--update", "--compact-files", "1", "--output", index);
    assertEquals(0, compact.exitCode, compact.err);
    assertEquals(String.valueOf(twoFiles), manifest(index).get("groupsCompacted"));
    assertEquals(String.valueOf(groups), manifest(index).get("vectorFiles"));
    Map<Integer, Long> after = filesByGroup(vectorsTable);
    assertTrue(after.values().stream().allMatch(n -> n == 1), after.toString());
    assertEquals(before + 1, DeltaTable.forPath(spark, vectorsTable).history(1).select("version").first().getLong(0),
        "one commit rewrote them");
    Dataset<Row> was = spark.read().format("delta").option("versionAsOf", before).load(vectorsTable)
        .select("id", "cell", "cell_group", "vector");
    Dataset<Row> is = spark.read().format("delta").load(vectorsTable).select("id", "cell", "cell_group", "vector");
    assertEquals(TOPICS * PER_TOPIC + 60, is.count());
    assertEquals(0, was.except(is).count() + is.except(was).count(), "the same rows");
    Dataset<Row> commit = spark.read().json(String.format("%s/_delta_log/%020d.json", vectorsTable, before + 1));
    assertEquals(List.of(false), commit.where("add IS NOT NULL").select("add.dataChange").distinct()
        .collectAsList().stream().map(r -> r.getBoolean(0)).toList(), "a compaction, not a change");
    // Within each file, the cells in the rows' order: Parquet's row index says where a row lies.
    Map<String, List<int[]>> byFile = new HashMap<>();
    for (Row r : spark.read().format("delta").load(vectorsTable)
        .select("_metadata.file_path", "_metadata.row_index", "cell").collectAsList()) {
      byFile.computeIfAbsent(r.getString(0), f -> new ArrayList<>()).add(new int[] {(int) r.getLong(1), r.getInt(2)});
    }
    assertEquals(groups, byFile.size());
    byFile.forEach((file, rows) -> {
      rows.sort(java.util.Comparator.comparingInt(r -> r[0]));
      for (int i = 1; i < rows.size(); i++) {
        assertTrue(rows.get(i - 1)[1] <= rows.get(i)[1], "rows sorted by cell in " + file);
      }
    });

    // Deletions of a fifth of the rows: each group loses more than a tenth of its rows, and the
    // default --compact-files 8 rewrites the share of the groups one update may, ceil(groups / 8),
    // without them (no deletion vector left to read there).
    spark.sql("DELETE FROM delta.`" + src + "` WHERE id % 5 = 0");
    CommandLineRun deletes = index("--update", "--output", index);
    assertEquals(0, deletes.exitCode, deletes.err);
    // The sizes are carried over the compaction commit before: Delta's feed has no rows for it.
    assertTrue(deletes.out.contains("sizes from the change feed of versions " + (before + 1) + " to " + (before + 2)),
        deletes.out);
    assertSizesCounted(index);
    long share = (groups + 7) / 8;
    assertEquals(String.valueOf(share), manifest(index).get("groupsCompacted"));
    Dataset<Row> added = spark.read().json(String.format("%s/_delta_log/%020d.json", vectorsTable, before + 3))
        .where("add IS NOT NULL").select("add.*");
    assertEquals(share, added.count(), "a file a rewritten group");
    assertFalse(Arrays.asList(added.columns()).contains("deletionVector"), Arrays.toString(added.columns()));
    Dataset<Row> stored = spark.read().format("delta").load(vectorsTable);
    assertEquals(0, stored.filter("id % 5 = 0").count());
    assertEquals(String.valueOf(stored.count()), manifest(index).get("rows"));

    // An index from before the sizes were kept: no sizes file and no change feed on its vectors.
    // The next update counts in full and turns the feed on; the one after follows the feed again.
    Files.delete(Path.of(vectorsTable).getParent().resolve("_cell_sizes"));
    Files.deleteIfExists(Path.of(vectorsTable).getParent().resolve("._cell_sizes.crc"));
    spark.sql("ALTER TABLE delta.`" + vectorsTable + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = false)");
    spark.sql("DELETE FROM delta.`" + src + "` WHERE id % 7 = 1");
    CommandLineRun older = index("--update", "--compact-files", "0", "--output", index);
    assertEquals(0, older.exitCode, older.err);
    assertTrue(older.out.contains("sizes counted in full: no sizes recorded"), older.out);
    assertSizesCounted(index);
    noisyCopies(9500, 30, TOPICS * PER_TOPIC / 30, 0.1, 5).write().format("delta").mode("append").save(src);
    CommandLineRun next = index("--update", "--compact-files", "0", "--output", index);
    assertEquals(0, next.exitCode, next.err);
    assertTrue(next.out.contains("sizes from the change feed"), next.out);
    assertSizesCounted(index);
  }

  /** The cell figures the manifest records are those of a count of every row's cell in the vectors table. */
  private static void assertSizesCounted(String index) {
    IndexManifest m = manifest(index);
    long[] perCell = new long[Integer.parseInt(m.get("nlist"))];
    for (Row r : spark.read().format("delta").load(m.vectors(index)).groupBy("cell").count().collectAsList()) {
      perCell[r.getInt(0)] = r.getLong(1);
    }
    CellSizes.of(perCell).figures().forEach((k, v) -> assertEquals(String.valueOf(v), m.get(k), k));
    assertEquals(String.valueOf(Arrays.stream(perCell).sum()), m.get("rows"));
  }

  private static float[] floats(List<Object> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) list.get(i)).floatValue();
    }
    return v;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double norm(float[] v) {
    return Math.sqrt(dot(v, v));
  }

  @Test
  void dedupAgainstTheIndexMatchesRepeatsOfIndexedRowsAndDeduplicatesTheRestAmongThemselves() {
    String index = path("index-against");
    assertEquals(0, index("--input", source, "--nlist", "24", "--output", index).exitCode);
    Random rnd = new Random(11);
    List<Row> rows = new ArrayList<>();
    Map<Long, Long> repeats = new HashMap<>();
    for (long i = 0; i < 10; i++) {
      long of = i * 97 % (TOPICS * PER_TOPIC); // a near copy of an indexed row
      float[] v = vectors.get(of).clone();
      for (int d = 0; d < DIM; d++) {
        v[d] += (float) (rnd.nextGaussian() * 0.005);
      }
      repeats.put(10_000 + i, of);
      rows.add(RowFactory.create(10_000 + i, list(v)));
    }
    // Row 7 again under its own id (re-ingested): not a duplicate of itself, and nothing else is this near.
    rows.add(RowFactory.create(7L, list(vectors.get(7L))));
    // Three near copies of one new vector: one is kept, two are its duplicates.
    float[] fresh = gaussian(rnd, 5.0);
    for (long i = 0; i < 3; i++) {
      float[] v = fresh.clone();
      v[0] += (float) (i * 0.001);
      rows.add(RowFactory.create(20_000 + i, list(v)));
    }
    for (long i = 0; i < 5; i++) {
      rows.add(RowFactory.create(30_000 + i, list(gaussian(rnd, 5.0))));
    }
    rows.add(RowFactory.create(40_000L, null));
    String input = path("index-against-input");
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("embedding",
        DataTypes.createArrayType(DataTypes.FloatType))).write().parquet(input);

    String out = path("index-against-out");
    CommandLineRun run = CommandLineRun.of(spark, "dedup", "--input", input, "--against", index, "--threshold",
        "0.995", "--nlist", "4", "--nprobe", "4", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    Map<Long, Long> duplicateOf = new HashMap<>();
    for (Row r : spark.read().parquet(out + "/duplicates").collectAsList()) {
      duplicateOf.put(r.getLong(r.fieldIndex("id")), r.getLong(r.fieldIndex("duplicate_of")));
      assertTrue(r.getDouble(r.fieldIndex("score")) >= 0.995, r.toString());
    }
    Map<Long, Long> expected = new HashMap<>(repeats);
    expected.put(20_001L, 20_000L);
    expected.put(20_002L, 20_000L);
    assertEquals(expected, duplicateOf);
    List<Long> kept = spark.read().parquet(out + "/kept").select("id").orderBy("id").as(
        org.apache.spark.sql.Encoders.LONG()).collectAsList();
    assertEquals(List.of(7L, 20_000L, 30_000L, 30_001L, 30_002L, 30_003L, 30_004L, 40_000L), kept);
    assertTrue(run.out.contains("10 rows repeat a row of index"), run.out);
    long probedPairs = Long.parseLong(metrics(out).get("againstPairsScored"));

    // --exact compares each new row with every indexed row, and decides the same here.
    String exactOut = path("index-against-exact-out");
    CommandLineRun exact = CommandLineRun.of(spark, "dedup", "--input", input, "--against", index, "--threshold",
        "0.995", "--nlist", "4", "--exact", "--output", exactOut);
    assertEquals(0, exact.exitCode, exact.err);
    Map<Long, Long> exactDuplicateOf = new HashMap<>();
    for (Row r : spark.read().parquet(exactOut + "/duplicates").collectAsList()) {
      exactDuplicateOf.put(r.getLong(r.fieldIndex("id")), r.getLong(r.fieldIndex("duplicate_of")));
    }
    assertEquals(expected, exactDuplicateOf);
    assertEquals(String.valueOf(19L * TOPICS * PER_TOPIC), metrics(exactOut).get("againstPairsScored"),
        "19 new rows with a vector, each against every indexed row");
    assertTrue(probedPairs < 19L * TOPICS * PER_TOPIC, "the cell search compares fewer: " + probedPairs);

    // Ids of another type than the index's cannot name the indexed row they repeat.
    String textIds = path("index-against-text-ids");
    spark.read().parquet(input).selectExpr("CAST(id AS STRING) AS id", "embedding").write().parquet(textIds);
    CommandLineRun refused = CommandLineRun.of(spark, "dedup", "--input", textIds, "--against", index,
        "--output", path("index-against-refused"));
    assertEquals(2, refused.exitCode);
    assertTrue(refused.err.contains("the index's ids are bigint and the input's --id-col is string"), refused.err);
  }
}
