package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** similarity --approx (inverted file) on generated vectors whose neighbours are known. */
class ApproxSearchTest extends SharedSparkSession {
  private static final int DIM = 24;
  private static String clustered;
  private static Map<Long, float[]> vectors;

  /** 40 topics of 30 rows each: a topic centre plus noise, so neighbours are mostly within a topic. */
  @BeforeAll
  static void writeVectors() {
    Random rnd = new Random(5);
    vectors = new HashMap<>();
    long id = 0;
    for (int t = 0; t < 40; t++) {
      float[] centre = gaussian(rnd, 1.0);
      for (int i = 0; i < 30; i++) {
        float[] v = gaussian(rnd, 0.35);
        for (int d = 0; d < DIM; d++) {
          v[d] += centre[d];
        }
        VectorMath.normalize(v);
        vectors.put(id++, v);
      }
    }
    clustered = write("clustered", vectors, "id");
  }

  private static float[] gaussian(Random rnd, double scale) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  private static String write(String name, Map<Long, float[]> rows, String idCol) {
    List<Row> out = new ArrayList<>();
    rows.forEach((k, v) -> {
      List<Float> list = new ArrayList<>();
      for (float f : v) {
        list.add(f);
      }
      out.add(RowFactory.create(k, list));
    });
    String p = path(name);
    spark.createDataFrame(out, new StructType().add(idCol, DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType))).repartition(3).write().parquet(p);
    return p;
  }

  private static List<Row> sorted(String output) {
    return spark.read().parquet(output).orderBy("query_id", "rank").collectAsList();
  }

  private static Map<String, String> metrics(String output) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, "_gte_metrics.json"), new Configuration());
  }

  private static CommandLineRun similarity(String... args) {
    List<String> all = new ArrayList<>(List.of("similarity"));
    all.addAll(List.of(args));
    CommandLineRun run = CommandLineRun.of(spark, all.toArray(new String[0]));
    assertEquals(0, run.exitCode, run.err);
    return run;
  }

  @Test
  void probingEveryCellEqualsExactSearch() {
    String exact = path("exact");
    String approx = path("approx-all");
    similarity("--self", "--input", clustered, "--top-k", "5", "--output", exact);
    similarity("--self", "--input", clustered, "--top-k", "5", "--approx", "--nlist", "12", "--nprobe", "12",
        "--output", approx);
    List<Row> want = sorted(exact);
    List<Row> got = sorted(approx);
    assertEquals(want.size(), got.size());
    assertEquals(vectors.size() * 5, got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).getLong(0), got.get(i).getLong(0));
      assertEquals(want.get(i).getLong(1), got.get(i).getLong(1), "row " + i);
      assertEquals(want.get(i).getDouble(2), got.get(i).getDouble(2), 1e-6);
    }
    Map<String, String> m = metrics(approx);
    assertEquals("1.0", m.get("recallAtK"));
    assertEquals(String.valueOf((long) vectors.size() * vectors.size()), m.get("pairsScored"),
        "every cell probed: every pair scored once");
  }

  @Test
  void recallIsMeasuredAndHighOnTopicNeighbours() {
    String approx = path("approx-recall");
    CommandLineRun run = similarity("--self", "--input", clustered, "--top-k", "10", "--approx", "--nlist", "40",
        "--nprobe", "4", "--recall-sample", "150", "--output", approx);
    Map<String, String> m = metrics(approx);
    assertEquals("150", m.get("recallQueries"));
    double reported = Double.parseDouble(m.get("recallAtK"));
    assertTrue(run.out.contains("recall@10 " + m.get("recallAtK")), run.out);

    // The same figure over every query, by brute force here.
    Map<Long, Set<Long>> found = new HashMap<>();
    for (Row r : sorted(approx)) {
      found.computeIfAbsent(r.getLong(0), x -> new HashSet<>()).add(r.getLong(1));
    }
    long hits = 0;
    for (Map.Entry<Long, float[]> q : vectors.entrySet()) {
      List<Long> ids = new ArrayList<>(vectors.keySet());
      ids.remove(q.getKey());
      ids.sort((a, b) -> Double.compare(VectorMath.dot(q.getValue(), vectors.get(b)),
          VectorMath.dot(q.getValue(), vectors.get(a))));
      for (Long d : ids.subList(0, 10)) {
        hits += found.getOrDefault(q.getKey(), Set.of()).contains(d) ? 1 : 0;
      }
    }
    double full = hits / (10.0 * vectors.size());
    assertTrue(full >= 0.9, "recall@10 over all queries " + full);
    assertTrue(Math.abs(full - reported) < 0.06, "sampled " + reported + " vs full " + full);
    assertTrue(Long.parseLong(m.get("pairsScored")) < (long) vectors.size() * vectors.size() / 3,
        "probing 4 of 40 cells scores a fraction of the pairs: " + m.get("pairsScored"));
    // What the run cost the cluster, for sizing a bigger one: the table read, the cells shuffled.
    assertTrue(Long.parseLong(m.get("inputBytesRead")) > 0, m.toString());
    assertTrue(Long.parseLong(m.get("shuffleBytesWritten")) > 0, m.toString());
    long largest = Long.parseLong(m.get("largestTaskResultBytes"));
    assertTrue(largest > 0 && largest < (1 << 20), "no task sends the driver a megabyte here: " + largest);
    assertTrue(Long.parseLong(m.get("tasks")) > 0 && m.get("pairsScoredNote").contains("upper bound"), m.toString());
  }

  @Test
  void theSameSeedGivesTheSameOutput() {
    String a = path("seed-a");
    String b = path("seed-b");
    similarity("--self", "--input", clustered, "--top-k", "3", "--approx", "--nlist", "20", "--nprobe", "2",
        "--seed", "9", "--output", a);
    similarity("--self", "--input", clustered, "--top-k", "3", "--approx", "--nlist", "20", "--nprobe", "2",
        "--seed", "9", "--output", b);
    assertEquals(sorted(a), sorted(b));
  }

  @Test
  void halfTheCorpusIdenticalStillRunsInBoundedUnits() {
    Map<Long, float[]> skewed = new HashMap<>();
    Random rnd = new Random(8);
    float[] same = gaussian(rnd, 1.0);
    VectorMath.normalize(same);
    for (long i = 0; i < 1200; i++) {
      float[] v = i % 2 == 0 ? same.clone() : gaussian(rnd, 1.0);
      VectorMath.normalize(v);
      skewed.put(i, v);
    }
    String input = write("skewed", skewed, "id");
    String out = path("skewed-out");
    similarity("--self", "--input", input, "--top-k", "4", "--approx", "--nlist", "10", "--nprobe", "2",
        "--block-rows", "64", "--unit-rows", "64", "--output", out);
    Map<String, String> m = metrics(out);
    assertTrue(Long.parseLong(m.get("cellRowsMax")) >= 600, "the identical rows share one cell: " + m);
    assertTrue(Long.parseLong(m.get("largestUnitDocs")) <= 2 * 64, "a unit held " + m.get("largestUnitDocs"));
    assertTrue(Long.parseLong(m.get("largestUnitQueries")) <= 2 * 64, "a unit held " + m.get("largestUnitQueries"));
    assertEquals(1200L * 4, spark.read().parquet(out).count(), "every row gets its 4 neighbours");
  }

  @Test
  void queriesAndCorpusNameTheirOwnIdColumns() {
    Map<Long, float[]> someQueries = new HashMap<>();
    for (long i = 0; i < 20; i++) {
      someQueries.put(1000 + i, vectors.get(i * 30));
    }
    String queries = write("qid-queries", someQueries, "qid");
    String corpus = write("docid-corpus", vectors, "docid");
    String out = path("per-side-ids");
    similarity("--queries", queries, "--query-id-col", "qid", "--corpus", corpus, "--corpus-id-col", "docid",
        "--top-k", "1", "--approx", "--nlist", "8", "--nprobe", "8", "--output", out);
    for (Row r : spark.read().parquet(out).collectAsList()) {
      assertEquals((r.getLong(0) - 1000) * 30, r.getLong(1), "a query's best match is its own copy");
      assertEquals(1.0, r.getDouble(2), 1e-5);
    }
    assertEquals(20, spark.read().parquet(out).count());
  }

  @Test
  void edgeSizesGiveDefinedResults() {
    Map<Long, float[]> five = new HashMap<>();
    for (long i = 0; i < 5; i++) {
      five.put(i, vectors.get(i * 100));
    }
    String small = write("five", five, "id");
    String out = path("five-out");
    similarity("--queries", clustered, "--corpus", small, "--top-k", "10", "--approx", "--nlist", "50",
        "--output", out);
    assertEquals("5", metrics(out).get("nlist"), "cells are capped at the corpus rows");
    assertEquals(vectors.size() * 5L, spark.read().parquet(out).count(), "k above the corpus size gives every row");

    String empty = write("empty", new HashMap<>(), "id");
    String none = path("empty-out");
    similarity("--queries", clustered, "--corpus", empty, "--approx", "--output", none);
    assertEquals(0, spark.read().parquet(none).count());
  }
}
