package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.VectorMath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** similarity, cluster and pipeline end to end on the shipped sample (six topics, two edge rows). */
class SimilarityClusterTest extends SharedSparkSession {
  private static final Path SAMPLE = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath();
  private static String embeddings;
  private static Map<Long, float[]> vectors;
  private static Map<Long, String> topics;

  @BeforeAll
  static void embedSample() {
    embeddings = path("sample-emb");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--output", embeddings);
    assertEquals(0, run.exitCode, run.err);
    vectors = new HashMap<>();
    topics = new HashMap<>();
    for (Row r : spark.read().parquet(embeddings).select("id", "embedding", "topic").collectAsList()) {
      if (!r.isNullAt(1)) {
        vectors.put(r.getLong(0), EngineOnSparkTest.toFloats(r.getList(1)));
      }
      topics.put(r.getLong(0), r.getString(2));
    }
    assertEquals(48, vectors.size());
  }

  /** The brute-force answer: ids of the k best docs for a query vector, best first. */
  private static List<Long> bruteForce(float[] q, Set<Long> docs, long exclude, int k) {
    List<Long> ids = new ArrayList<>(docs);
    ids.remove(exclude);
    ids.sort(Comparator.comparingDouble((Long d) -> -VectorMath.dot(q, vectors.get(d))).thenComparing(d -> d));
    return ids.subList(0, Math.min(k, ids.size()));
  }

  private static Map<Long, List<Long>> ranked(String output) {
    Map<Long, List<Long>> m = new HashMap<>();
    for (Row r : spark.read().parquet(output).orderBy("query_id", "rank").collectAsList()) {
      m.computeIfAbsent(r.getLong(0), x -> new ArrayList<>()).add(r.getLong(1));
      float[] q = vectors.get(r.getLong(0));
      assertEquals(VectorMath.dot(q, vectors.get(r.getLong(1))), r.getDouble(2), 1e-5, "score of a pair");
    }
    return m;
  }

  @Test
  void queryCorpusTopKEqualsBruteForceInBothBlockDirections() throws IOException {
    Path queries = scratch.resolve("queries.jsonl");
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(SAMPLE, StandardCharsets.UTF_8)) {
      if (lines.size() < 7 && !l.contains("\"edge\"")) {
        lines.add(l);
      }
    }
    Files.write(queries, lines, StandardCharsets.UTF_8);
    String queryEmb = path("query-emb");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", queries.toString(), "--text-col", "text",
        "--id-col", "id", "--output", queryEmb).exitCode);
    for (String[] sides : new String[][] {{queryEmb, embeddings}, {embeddings, queryEmb}}) {
      String out = path("topk-" + sides[0].hashCode());
      CommandLineRun run = CommandLineRun.of(spark, "similarity", "--queries", sides[0], "--corpus", sides[1],
          "--top-k", "3", "--block-rows", "4", "--output", out);
      assertEquals(0, run.exitCode, run.err);
      Set<Long> queryIds = ids(sides[0]);
      Set<Long> docIds = ids(sides[1]);
      Map<Long, List<Long>> got = ranked(out);
      assertEquals(queryIds, got.keySet());
      for (long q : queryIds) {
        assertEquals(bruteForce(vectors.get(q), docIds, Long.MIN_VALUE, 3), got.get(q), "query " + q);
      }
    }
  }

  private static Set<Long> ids(String embeddingOutput) {
    Set<Long> s = new HashSet<>();
    for (Row r : spark.read().parquet(embeddingOutput).filter("embedding IS NOT NULL").select("id").collectAsList()) {
      s.add(r.getLong(0));
    }
    return s;
  }

  @Test
  void selfNeighboursExcludeTheRowAndMinScoreFindsNearDuplicates() throws IOException {
    String out = path("self");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--self", "--input", embeddings, "--top-k", "2",
        "--block-rows", "10", "--output", out).exitCode);
    Map<Long, List<Long>> got = ranked(out);
    assertEquals(vectors.keySet(), got.keySet());
    for (long id : vectors.keySet()) {
      assertTrue(!got.get(id).contains(id), "a row is not its own neighbour");
      assertEquals(bruteForce(vectors.get(id), vectors.keySet(), id, 2), got.get(id));
    }

    Path withDup = scratch.resolve("dups.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(SAMPLE, StandardCharsets.UTF_8));
    lines.add("{\"id\": 1001, \"topic\": \"dup\", \"text\": \"The central bank raised interest rates by a quarter "
        + "point to fight inflation.\"}");
    Files.write(withDup, lines, StandardCharsets.UTF_8);
    String dups = path("dups");
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--self", "--input", withDup.toString(), "--text-col",
        "text", "--top-k", "5", "--min-score", "0.99", "--output", dups);
    assertEquals(0, run.exitCode, run.err);
    List<Row> pairs = spark.read().parquet(dups).collectAsList();
    assertEquals(2, pairs.size(), "exactly the duplicate pair, both ways: " + pairs);
    for (Row r : pairs) {
      assertTrue(r.getDouble(2) > 0.999);
      assertTrue(r.getLong(0) == 1001 || r.getLong(1) == 1001);
    }
  }

  @Test
  void pairsGetOneScoreEachAndUnknownIdsGetNull() throws IOException {
    Path pairs = scratch.resolve("pairs.jsonl");
    List<Long> ids = new ArrayList<>(vectors.keySet());
    Files.write(pairs, List.of(
        "{\"id_a\": " + ids.get(0) + ", \"id_b\": " + ids.get(1) + "}",
        "{\"id_a\": " + ids.get(2) + ", \"id_b\": " + ids.get(2) + "}",
        "{\"id_a\": " + ids.get(3) + ", \"id_b\": 99999}"), StandardCharsets.UTF_8);
    String out = path("pair-scores");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--pairs", pairs.toString(), "--input", embeddings,
        "--output", out).exitCode);
    Map<String, Row> byPair = new HashMap<>();
    for (Row r : spark.read().parquet(out).collectAsList()) {
      byPair.put(r.getLong(0) + "-" + r.getLong(1), r);
    }
    assertEquals(3, byPair.size());
    assertEquals(VectorMath.dot(vectors.get(ids.get(0)), vectors.get(ids.get(1))),
        byPair.get(ids.get(0) + "-" + ids.get(1)).getDouble(2), 1e-5);
    assertEquals(1.0, byPair.get(ids.get(2) + "-" + ids.get(2)).getDouble(2), 1e-5);
    assertTrue(byPair.get(ids.get(3) + "-99999").isNullAt(2));
  }

  @Test
  void rawTextIsEmbeddedOnTheFlyAndMixedModelsAreRefused() {
    String out = path("raw-vs-emb");
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--queries", SAMPLE.toString(), "--text-col", "text",
        "--corpus", embeddings, "--top-k", "1", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    for (Row r : spark.read().parquet(out).collectAsList()) {
      assertEquals(r.getLong(0), r.getLong(1), "each text's best match is its own embedded copy");
      assertEquals(1.0, r.getDouble(2), 1e-4);
    }
    CommandLineRun mixed = CommandLineRun.of(spark, "similarity", "--queries", SAMPLE.toString(), "--text-col",
        "text", "--max-length", "64", "--corpus", embeddings, "--output", path("never"));
    assertEquals(2, mixed.exitCode);
    assertTrue(mixed.err.contains("meaningless"), mixed.err);
  }

  @Test
  void withTextLabelsEveryResultWithBothTextsAndNeedsTheTextColumn() {
    Map<Long, String> texts = new HashMap<>();
    for (Row r : spark.read().json(SAMPLE.toString()).select("id", "text").collectAsList()) {
      texts.put(r.getLong(0), r.isNullAt(1) ? null : r.getString(1));
    }
    String out = path("with-text");
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--queries", SAMPLE.toString(), "--text-col", "text",
        "--corpus", embeddings, "--top-k", "2", "--with-text", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    Dataset<Row> got = spark.read().parquet(out);
    assertEquals(List.of("query_id", "doc_id", "score", "rank", "query_text", "doc_text"), List.of(got.columns()));
    List<Row> rows = got.collectAsList();
    assertEquals(2 * vectors.size(), rows.size(), "k rows per query with a vector, none duplicated by the join");
    for (Row r : rows) {
      assertEquals(texts.get(r.getLong(0)), r.getString(4), "query_text of " + r.getLong(0));
      assertEquals(texts.get(r.getLong(1)), r.getString(5), "doc_text of " + r.getLong(1));
    }

    CommandLineRun noText = CommandLineRun.of(spark, "similarity", "--self", "--input", embeddings, "--with-text",
        "--output", path("with-text-none"));
    assertEquals(2, noText.exitCode);
    assertTrue(noText.err.contains("--with-text needs the text column of " + embeddings), noText.err);
    assertTrue(!new java.io.File(path("with-text-none")).exists(), "nothing written");
  }

  @Test
  void approximateSearchProbingEveryCellEqualsExactSearch() {
    String exact = path("approx-exact");
    String approx = path("approx-all-cells");
    assertEquals(0, CommandLineRun.of(spark, "similarity", "--queries", SAMPLE.toString(), "--text-col", "text",
        "--corpus", embeddings, "--top-k", "3", "--output", exact).exitCode);
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--queries", SAMPLE.toString(), "--text-col", "text",
        "--corpus", embeddings, "--approx", "--nlist", "6", "--nprobe", "6", "--top-k", "3", "--output", approx);
    assertEquals(0, run.exitCode, run.err);
    assertTrue(run.out.contains("recall@3 1.0"), run.out);
    List<Row> want = spark.read().parquet(exact).orderBy("query_id", "rank").collectAsList();
    List<Row> got = spark.read().parquet(approx).orderBy("query_id", "rank").collectAsList();
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).getLong(0), got.get(i).getLong(0));
      assertEquals(want.get(i).getLong(1), got.get(i).getLong(1), "row " + i);
      assertEquals(want.get(i).getInt(3), got.get(i).getInt(3));
      // Blocks of other shapes sum in another order: the last bits of a float score may differ.
      assertEquals(want.get(i).getDouble(2), got.get(i).getDouble(2), 1e-6);
    }
  }

  @Test
  void modelCardOneLinerPrintsScoresWithTheDirectAnswerFirst() {
    CommandLineRun run = CommandLineRun.of(spark, "similarity", "--source", EngineOnSparkTest.QUERY,
        "--compare", EngineOnSparkTest.CANDIDATES.get(0), "--compare", EngineOnSparkTest.CANDIDATES.get(1),
        "--compare", EngineOnSparkTest.CANDIDATES.get(2), "--compare", EngineOnSparkTest.CANDIDATES.get(3));
    assertEquals(0, run.exitCode, run.err);
    List<Double> scores = new ArrayList<>();
    for (String line : run.out.split("\n")) {
      if (line.matches("\\s+[0-9.]+\\s+.*")) {
        scores.add(Double.parseDouble(line.trim().split("\\s+")[0]));
      }
    }
    assertEquals(4, scores.size(), run.out);
    for (int i = 1; i < 4; i++) {
      assertTrue(scores.get(0) > scores.get(i), run.out);
    }

    String out = path("card");
    CommandLineRun saved = CommandLineRun.of(spark, "similarity", "--source", EngineOnSparkTest.QUERY,
        "--compare", EngineOnSparkTest.CANDIDATES.get(0), "--compare", EngineOnSparkTest.CANDIDATES.get(1),
        "--output", out, "--output-format", "json");
    assertEquals(0, saved.exitCode, saved.err);
    List<Row> rows = spark.read().json(out).orderBy("rank").collectAsList();
    assertEquals(2, rows.size());
    assertEquals(EngineOnSparkTest.CANDIDATES.get(0), rows.get(0).getAs("candidate"));
    assertEquals(scores.get(0), (double) rows.get(0).getAs("score"), 1e-4);
    assertEquals(EngineOnSparkTest.QUERY, rows.get(1).getAs("source"));
  }

  @Test
  void clustersFollowTopicsAndEveryRowIsAssignedOnce() {
    String out = path("clusters");
    CommandLineRun run = CommandLineRun.of(spark, "cluster", "--input", embeddings, "--text-col", "text", "--k", "6",
        "--seed", "7", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    List<Row> assignments = spark.read().parquet(out + "/assignments").collectAsList();
    assertEquals(48, assignments.size(), "null-vector rows are left out");
    Map<Long, Integer> cluster = new HashMap<>();
    for (Row r : assignments) {
      assertNull(cluster.put(r.getLong(0), r.getInt(1)), "id assigned twice");
      assertTrue(r.getDouble(2) >= 0 && r.getDouble(2) <= 2);
    }
    double ari = adjustedRand(cluster);
    // Chance level is 0; six clearly different topics should be recovered almost perfectly.
    assertTrue(ari > 0.6, "adjusted Rand index " + ari);
    // The SGEMM spherical fit clusters as well as MLlib's own KMeans fit did (same seed).
    String mllib = path("clusters-mllib");
    CommandLineRun before = CommandLineRun.of(spark, "cluster", "--input", embeddings, "--k", "6", "--seed", "7",
        "--algorithm", "mllib-kmeans", "--output", mllib);
    assertEquals(0, before.exitCode, before.err);
    Map<Long, Integer> mllibCluster = new HashMap<>();
    spark.read().parquet(mllib + "/assignments").collectAsList().forEach(r -> mllibCluster.put(r.getLong(0), r.getInt(1)));
    double mllibAri = adjustedRand(mllibCluster);
    System.out.printf("cluster: adjusted Rand index vs topics %.3f (MLlib's KMeans fit: %.3f)%n", ari, mllibAri);
    assertTrue(ari >= mllibAri - 0.05, "spherical " + ari + " vs MLlib " + mllibAri);
    assertTrue(run.out.contains("cluster done: k 6, silhouette ") && run.out.contains("largest first ["), run.out);
    assertTrue(run.out.contains("cluster: k 6, iteration 1 of at most"), "iterations are reported: " + run.out);

    long sizes = 0;
    long expectedRepresentatives = 0;
    for (Row r : spark.read().parquet(out + "/centroids").collectAsList()) {
      sizes += r.getLong(1);
      expectedRepresentatives += Math.min(3, r.getLong(1));
      assertEquals(384, r.getList(2).size());
    }
    assertEquals(48, sizes);
    Dataset<Row> reps = spark.read().parquet(out + "/representatives");
    assertEquals(expectedRepresentatives, reps.count(), "up to three texts per cluster");
    assertEquals(0, reps.filter("text IS NULL").count());
    Map<String, String> summary = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, "summary.json"),
        new Configuration());
    assertEquals("6", summary.get("k"));
    assertEquals("2", summary.get("excludedNullVectors"));
    assertTrue(Double.parseDouble(summary.get("silhouette")) > 0);
    // The silhouette computed on the driver from cluster sums equals MLlib's ClusteringEvaluator
    // on the same assignments (48 rows: no sampling).
    Dataset<Row> vectors = spark.read().parquet(embeddings).filter("embedding IS NOT NULL");
    Dataset<Row> labelled = spark.read().parquet(out + "/assignments").join(vectors, "id")
        .withColumn("features", org.apache.spark.ml.functions.array_to_vector(functions.col("embedding")));
    double mllibSilhouette = new org.apache.spark.ml.evaluation.ClusteringEvaluator().setFeaturesCol("features")
        .setPredictionCol("cluster").setDistanceMeasure("cosine").evaluate(labelled);
    assertEquals(mllibSilhouette, Double.parseDouble(summary.get("silhouette")), 1e-5);
    // The saved model is MLlib's own: it loads, and predicts the clusters the assignments hold.
    org.apache.spark.ml.clustering.KMeansModel model = org.apache.spark.ml.clustering.KMeansModel.load(out + "/model");
    assertEquals(6, model.clusterCenters().length);
    assertEquals("cosine", model.getDistanceMeasure());
    assertEquals(0, model.transform(labelled.withColumnRenamed("cluster", "assigned"))
        .filter("cluster <> assigned").count(), "the model predicts every row's assigned cluster");
    // Rank 1 of each cluster is its row nearest the centroid.
    Dataset<Row> nearest = spark.read().parquet(out + "/assignments").groupBy("cluster")
        .agg(functions.min("distance").as("nearest"));
    assertEquals(0, reps.filter("rank = 1").join(nearest, "cluster")
        .filter(functions.abs(functions.col("distance").minus(functions.col("nearest"))).gt(1e-9)).count());
  }

  @Test
  void autoKChoosesBySilhouette() {
    String out = path("clusters-auto");
    CommandLineRun run = CommandLineRun.of(spark, "cluster", "--input", embeddings, "--k", "auto", "--k-min", "3",
        "--k-max", "8", "--algorithm", "bisecting", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    Map<String, String> summary = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, "summary.json"),
        new Configuration());
    int k = Integer.parseInt(summary.get("k"));
    assertTrue(k >= 3 && k <= 8);
    assertTrue(summary.get("silhouetteByK").contains("3") && summary.get("silhouetteByK").contains("8"));
    assertEquals(48, spark.read().parquet(out + "/assignments").count());
  }

  @Test
  void pipelineWritesEmbeddingsNeighboursClustersAndDedup() {
    String out = path("pipeline");
    CommandLineRun run = CommandLineRun.of(spark, "pipeline", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--k", "6", "--top-k", "3", "--dedup-threshold", "0.9", "--output", out);
    assertEquals(0, run.exitCode, run.err);
    assertEquals(50, spark.read().parquet(out + "/embeddings").count());
    assertEquals(48 * 3, spark.read().parquet(out + "/neighbours").count());
    assertEquals(48, spark.read().parquet(out + "/clusters/assignments").count());
    assertNotEquals(0, spark.read().parquet(out + "/clusters/representatives").count());
    // The sample holds no near-duplicates at 0.9: dedup keeps all 50 rows, with the embeddings' columns.
    assertEquals(50, spark.read().parquet(out + "/dedup/kept").count());
    assertEquals(0, spark.read().parquet(out + "/dedup/duplicates").count());
    assertTrue(java.util.Arrays.asList(spark.read().parquet(out + "/dedup/kept").columns()).contains("embedding"));
  }

  /** Adjusted Rand index of the clustering against the sample's topic labels. */
  private static double adjustedRand(Map<Long, Integer> cluster) {
    Map<String, Map<Integer, Integer>> table = new HashMap<>();
    Map<String, Integer> rowSums = new HashMap<>();
    Map<Integer, Integer> colSums = new HashMap<>();
    for (Map.Entry<Long, Integer> e : cluster.entrySet()) {
      String t = topics.get(e.getKey());
      table.computeIfAbsent(t, x -> new HashMap<>()).merge(e.getValue(), 1, Integer::sum);
      rowSums.merge(t, 1, Integer::sum);
      colSums.merge(e.getValue(), 1, Integer::sum);
    }
    double index = 0;
    for (Map<Integer, Integer> row : table.values()) {
      for (int n : row.values()) {
        index += choose2(n);
      }
    }
    double a = rowSums.values().stream().mapToDouble(SimilarityClusterTest::choose2).sum();
    double b = colSums.values().stream().mapToDouble(SimilarityClusterTest::choose2).sum();
    double expected = a * b / choose2(cluster.size());
    return (index - expected) / ((a + b) / 2 - expected);
  }

  private static double choose2(int n) {
    return n * (n - 1) / 2.0;
  }
}
