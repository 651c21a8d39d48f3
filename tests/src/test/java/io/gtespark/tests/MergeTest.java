package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.udf.encode.VectorMath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** {@code embed --mode merge}: only new or changed rows are embedded and upserted into Delta. */
class MergeTest extends SharedSparkSession {
  private static Path write(String name, Map<Integer, String> docs) throws IOException {
    List<String> lines = new ArrayList<>();
    docs.forEach((id, text) -> lines.add("{\"id\": " + id + ", \"text\": \"" + text + "\"}"));
    Path p = scratch.resolve(name);
    Files.write(p, lines, StandardCharsets.UTF_8);
    return p;
  }

  private static Map<String, String> metrics(String table) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(table, RunMetrics.FILE), new Configuration());
  }

  private static Map<Long, float[]> vectors(String table) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r : spark.read().format("delta").load(table).select("id", "embedding").collectAsList()) {
      m.put(r.getLong(0), EngineOnSparkTest.toFloats(r.getList(1)));
    }
    return m;
  }

  private static CommandLineRun merge(Path input, String table, String... extra) {
    List<String> args = new ArrayList<>(List.of("embed", "--input", input.toString(), "--text-col", "text",
        "--id-col", "id", "--output", table, "--output-format", "delta", "--mode", "merge"));
    args.addAll(List.of(extra));
    return CommandLineRun.of(spark, args.toArray(new String[0]));
  }

  @Test
  void secondRunEmbedsOnlyChangedAndNewRowsAndThirdRunNone() throws IOException {
    Map<Integer, String> docs = new HashMap<>();
    for (int i = 1; i <= 40; i++) {
      docs.put(i, "original document " + i + " about subject " + (i % 5));
    }
    String table = path("merged");
    assertEquals(0, merge(write("v1.jsonl", docs), table).exitCode);
    assertEquals("40", metrics(table).get("rowsEmbedded"));
    Map<Long, float[]> first = vectors(table);

    Map<Integer, String> v2 = new HashMap<>(docs);
    for (int i = 1; i <= 4; i++) {
      v2.put(i, "rewritten document " + i + " on a completely different matter");
    }
    for (int i = 41; i <= 44; i++) {
      v2.put(i, "new document " + i);
    }
    Path v2File = write("v2.jsonl", v2);
    CommandLineRun second = merge(v2File, table);
    assertEquals(0, second.exitCode, second.err);
    Map<String, String> m2 = metrics(table);
    assertEquals("8", m2.get("rowsEmbedded"), "4 changed + 4 new");
    assertEquals("36", m2.get("rowsUnchanged"));
    Map<Long, float[]> after = vectors(table);
    assertEquals(44, after.size());
    assertEquals(44, spark.read().format("delta").load(table).select("id").distinct().count());
    for (long id = 5; id <= 40; id++) {
      assertTrue(java.util.Arrays.equals(first.get(id), after.get(id)), "unchanged row " + id + " untouched");
    }
    for (long id = 1; id <= 4; id++) {
      assertTrue(VectorMath.cosine(first.get(id), after.get(id)) < 0.99, "changed row " + id + " re-embedded");
    }

    CommandLineRun third = merge(v2File, table);
    assertEquals(0, third.exitCode, third.err);
    assertEquals("0", metrics(table).get("rowsEmbedded"), "an identical rerun embeds nothing");
    assertEquals(44, spark.read().format("delta").load(table).count());
  }

  @Test
  void mergeRefusesAnotherModelDuplicateIdsAndNonDeltaOutput() throws IOException {
    Map<Integer, String> docs = new HashMap<>();
    for (int i = 1; i <= 5; i++) {
      docs.put(i, "doc " + i);
    }
    Path input = write("small.jsonl", docs);
    String table = path("merged-refusals");
    assertEquals(0, merge(input, table).exitCode);

    CommandLineRun otherModel = merge(input, table, "--max-length", "64");
    assertEquals(2, otherModel.exitCode);
    assertTrue(otherModel.err.contains("cannot be mixed"), otherModel.err);

    Path dupFile = scratch.resolve("dups.jsonl");
    Files.write(dupFile, List.of("{\"id\": 1, \"text\": \"a\"}", "{\"id\": 1, \"text\": \"b\"}"), StandardCharsets.UTF_8);
    CommandLineRun dups = merge(dupFile, table);
    assertEquals(2, dups.exitCode);
    assertTrue(dups.err.contains("duplicate"), dups.err);

    CommandLineRun parquet = CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text",
        "--id-col", "id", "--output", path("pq-merge"), "--mode", "merge");
    assertEquals(2, parquet.exitCode);
    assertTrue(parquet.err.contains("--output-format delta"), parquet.err);
    assertEquals(5, spark.read().format("delta").load(table).count());
  }
}
