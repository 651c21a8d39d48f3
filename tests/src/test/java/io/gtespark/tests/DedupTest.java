package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.VectorMath;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dedup contract on planted near-duplicates of the shipped sample. */
class DedupTest extends SharedSparkSession {
  private static final Path SAMPLE = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath();
  private static PlantedDuplicates planted;
  private static String raw;
  private static String embeddings;
  private static Map<Long, float[]> vectors;
  private static Map<Long, String> texts;

  @BeforeAll
  static void embedFixture() throws Exception {
    raw = path("planted.jsonl");
    planted = PlantedDuplicates.write(SAMPLE, Paths.get(raw));
    embeddings = path("planted-emb");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", raw, "--text-col", "text", "--id-col", "id",
        "--output", embeddings);
    assertEquals(0, run.exitCode, run.err);
    vectors = new HashMap<>();
    texts = new HashMap<>();
    for (Row r : spark.read().parquet(embeddings).select("id", "embedding", "text").collectAsList()) {
      if (!r.isNullAt(1)) {
        vectors.put(r.getLong(0), EngineOnSparkTest.toFloats(r.getList(1)));
      }
      texts.put(r.getLong(0), r.getString(2));
    }
    assertEquals(96, vectors.size());
    assertEquals(98, planted.rows);
  }

  /** What one dedup run wrote. */
  private static final class Outcome {
    final Set<Long> kept = new HashSet<>();
    final Map<Long, Long> duplicateOf = new TreeMap<>();
    final Map<Long, Double> score = new HashMap<>();
    final Map<String, String> metrics;

    Outcome(String out) {
      for (Row r : spark.read().parquet(out + "/kept").select("id").collectAsList()) {
        assertTrue(kept.add(r.getLong(0)), "kept once: " + r.getLong(0));
      }
      for (Row r : spark.read().parquet(out + "/duplicates").select("id", "duplicate_of", "score").collectAsList()) {
        assertEquals(null, duplicateOf.put(r.getLong(0), r.getLong(1)), "removed once: " + r.getLong(0));
        score.put(r.getLong(0), r.getDouble(2));
      }
      metrics = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, "_gte_metrics.json"),
          spark.sparkContext().hadoopConfiguration());
    }

    long survivorOf(long id) {
      return kept.contains(id) ? id : duplicateOf.get(id);
    }
  }

  private static Outcome dedup(String name, String... extra) {
    String out = path(name);
    List<String> args = new ArrayList<>(List.of("dedup", "--input", embeddings, "--text-col", "text", "--output", out));
    args.addAll(Arrays.asList(extra));
    CommandLineRun run = CommandLineRun.of(spark, args.toArray(new String[0]));
    assertEquals(0, run.exitCode, run.err);
    return new Outcome(out);
  }

  private static double cosine(long a, long b) {
    return VectorMath.cosine(vectors.get(a), vectors.get(b));
  }

  /** Every input row once; every pointer at a kept row, with its true cosine, at or above the threshold. */
  private static void assertContract(Outcome o, double threshold) {
    Set<Long> all = new HashSet<>(o.kept);
    all.addAll(o.duplicateOf.keySet());
    assertEquals(planted.rows, all.size(), "every row in kept or duplicates");
    assertEquals(planted.rows, o.kept.size() + o.duplicateOf.size(), "and in only one");
    o.duplicateOf.forEach((id, to) -> {
      assertTrue(o.kept.contains(to), id + " points at " + to + ", which is not kept");
      assertTrue(o.score.get(id) >= threshold, id + " scores " + o.score.get(id));
      assertEquals(cosine(id, to), o.score.get(id), 1e-5, "the score is the pair's cosine");
    });
    assertTrue(o.kept.containsAll(List.of(49L, 50L)) || o.kept.size() > 0);
  }

  @Test
  void plantedDuplicatesAreFoundAndEveryRowLandsOnce() {
    double threshold = 0.9;
    Outcome o = dedup("dedup-ivf", "--threshold", "0.9");
    assertContract(o, threshold);
    long wanted = 0;
    long grouped = 0;
    for (Map.Entry<Long, Long> p : planted.variantOf.entrySet()) {
      long variant = p.getKey();
      long original = p.getValue();
      boolean together = o.survivorOf(variant) == o.survivorOf(original);
      if (Arrays.equals(vectors.get(variant), vectors.get(original))) {
        assertTrue(together, "exact vector copies are always grouped: " + planted.kindOf.get(variant));
      }
      if (cosine(variant, original) >= threshold) {
        wanted++;
        grouped += together ? 1 : 0;
      }
    }
    assertTrue(wanted >= 30, "most planted pairs clear 0.9: " + wanted);
    assertTrue(grouped >= 0.95 * wanted, grouped + " of " + wanted + " planted pairs grouped");
    Map<String, String> m = o.metrics;
    assertEquals("2", m.get("nulls"), "the null and blank rows have no vector: " + m);
    assertTrue(o.kept.stream().filter(id -> !vectors.containsKey(id)).count() == 2, "and they are kept");
    assertEquals(String.valueOf(o.kept.size()), m.get("kept"));
    assertEquals(String.valueOf(o.duplicateOf.size()), m.get("removed"));
    assertTrue(m.get("recallAtK") != null && Double.parseDouble(m.get("recallAtK")) >= 0.95, m.toString());
    // --keep first: a removed row points at a row that comes earlier, i.e. a smaller id.
    o.duplicateOf.forEach((id, to) -> assertTrue(to < id, id + " -> " + to));

    Outcome again = dedup("dedup-ivf-again", "--threshold", "0.9");
    assertEquals(o.duplicateOf, again.duplicateOf, "same input, same seed: same decisions");
    assertEquals(o.kept, again.kept);
  }

  @Test
  void exactSearchLeavesNoTwoKeptRowsAboveTheThreshold() {
    Outcome o = dedup("dedup-exact", "--threshold", "0.9", "--exact");
    assertContract(o, 0.9);
    List<Long> kept = new ArrayList<>(o.kept);
    kept.removeIf(id -> !vectors.containsKey(id));
    for (int i = 0; i < kept.size(); i++) {
      for (int j = i + 1; j < kept.size(); j++) {
        assertTrue(cosine(kept.get(i), kept.get(j)) < 0.9 + 1e-6, kept.get(i) + " and " + kept.get(j) + " both kept");
      }
    }
  }

  /**
   * The table behind the documented default (docs/benchmarks.md): per threshold, planted pairs
   * grouped and rows grouped with another document's family. Fewer planted pairs as the
   * threshold rises; none of the 48 unrelated documents grouped at the default.
   */
  @Test
  void thresholdSweepOnThePlantedFixture() {
    double[] thresholds = {0.8, 0.85, 0.9, 0.95, 0.97, 0.99};
    long previous = Long.MAX_VALUE;
    StringBuilder table = new StringBuilder("| threshold | planted pairs grouped (of 48) | rows grouped with another document |\n");
    for (double t : thresholds) {
      Outcome o = dedup("dedup-sweep-" + t, "--threshold", String.valueOf(t), "--exact");
      long planted = DedupTest.planted.variantOf.entrySet().stream()
          .filter(p -> o.survivorOf(p.getKey()) == o.survivorOf(p.getValue())).count();
      long wrong = o.duplicateOf.entrySet().stream().filter(e -> e.getKey() % 1000 != e.getValue() % 1000).count();
      table.append("| ").append(t).append(" | ").append(planted).append(" | ").append(wrong).append(" |\n");
      assertTrue(planted <= previous, "a higher threshold groups no more planted pairs");
      previous = planted;
      if (t == Double.parseDouble(io.gtespark.job.dedup.DedupStage.DEFAULT_THRESHOLD)) {
        assertEquals(0, wrong, "the default groups no unrelated documents of the sample");
        assertTrue(planted >= 40, "and most planted pairs: " + planted);
      }
    }
    double closest = 0;
    for (long a : vectors.keySet()) {
      for (long b : vectors.keySet()) {
        if (a % 1000 != b % 1000) {
          closest = Math.max(closest, cosine(a, b));
        }
      }
    }
    table.append("highest cosine between rows of two different documents: ").append(closest).append("\n");
    System.out.print(table);
    assertTrue(closest < Double.parseDouble(io.gtespark.job.dedup.DedupStage.DEFAULT_THRESHOLD));
  }

  @Test
  void thresholdOneRemovesOnlyExactVectorCopies() {
    Outcome o = dedup("dedup-one", "--threshold", "1");
    assertContract(o, 1.0 - 1e-6);
    Set<String> distinct = new HashSet<>();
    vectors.values().forEach(v -> distinct.add(Arrays.toString(v)));
    assertEquals(vectors.size() - distinct.size(), o.duplicateOf.size());
    o.duplicateOf.forEach((id, to) -> assertTrue(Arrays.equals(vectors.get(id), vectors.get(to)), id + " -> " + to));
    assertTrue(o.duplicateOf.size() >= planted.variantOf.size() / 7, "at least the planted copies");
  }

  @Test
  void groupsDecidedInRoundsOverTheirPairsMatchTheOneTaskDecision() {
    // --local-group-rows 1: every group of two or more goes through the distributed rounds.
    for (String rule : List.of("first", "centre")) {
      Outcome local = dedup("dedup-local-" + rule, "--threshold", "0.85", "--keep", rule);
      Outcome rounds = dedup("dedup-rounds-" + rule, "--threshold", "0.85", "--keep", rule, "--local-group-rows", "1");
      assertContract(rounds, 0.85);
      assertEquals("0", local.metrics.get("keepRounds"), local.metrics.toString());
      assertTrue(Integer.parseInt(rounds.metrics.get("keepRounds")) >= 1, rounds.metrics.toString());
      assertTrue(Long.parseLong(rounds.metrics.get("largestLocalGroup")) <= 1, rounds.metrics.toString());
      assertTrue(local.duplicateOf.size() >= 10, rule + ": enough duplicates to compare: " + local.duplicateOf);
      assertEquals(local.duplicateOf, rounds.duplicateOf, rule + ": the same duplicates pointing at the same rows");
      assertEquals(local.kept, rounds.kept);
      assertEquals(local.metrics.get("largestGroup"), rounds.metrics.get("largestGroup"));
    }
  }

  @Test
  void rawTextKeepingTheLongestWritesTheInputColumnsUnchanged() {
    String out = path("dedup-raw");
    CommandLineRun run = CommandLineRun.of(spark, "dedup", "--input", raw, "--text-col", "text", "--keep", "longest",
        "--threshold", "0.9", "--output", out, "--output-format", "parquet");
    assertEquals(0, run.exitCode, run.err);
    assertEquals(Arrays.asList(spark.read().json(raw).columns()), Arrays.asList(spark.read().parquet(out + "/kept").columns()));
    Outcome o = new Outcome(out);
    assertContract(o, 0.9);
    o.duplicateOf.forEach((id, to) -> assertTrue(texts.get(to).length() >= texts.get(id).length(),
        "the kept row is the longer one: " + id + " -> " + to));
    assertTrue(run.out.contains("dedup done:"), run.out);

    CommandLineRun noText = CommandLineRun.of(spark, "dedup", "--input", embeddings, "--keep", "longest",
        "--output", path("dedup-never"));
    assertEquals(2, noText.exitCode);
    assertTrue(noText.err.contains("--text-col"), noText.err);
    CommandLineRun again = CommandLineRun.of(spark, "dedup", "--input", raw, "--text-col", "text", "--output", out);
    assertEquals(2, again.exitCode, "an existing output is not overwritten without --mode overwrite");
  }
}
