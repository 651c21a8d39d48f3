package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * A long embed that commits in slices keeps what it committed through a driver SIGKILL, and the
 * rerun embeds only the rest; an input changed between the runs is refused; a stream over
 * arriving files embeds each row exactly once, across runs and across a kill mid-batch.
 */
class ResumableEmbedTest extends SharedSparkSession {
  private static Path corpus(String name, int rows) throws IOException {
    Path p = scratch.resolve(name);
    Files.write(p, ArrivingFiles.records(1, rows, "says how a job that runs for hours keeps the slices it committed when its "
        + "driver dies"), StandardCharsets.UTF_8);
    return p;
  }

  private static Map<String, String> metrics(String out) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, RunMetrics.FILE), new Configuration());
  }

  /**
   * 120 rows in 12 partitions of long texts (about 18 KB, of which the model reads 128 tokens):
   * the input's bytes outweigh what the Delta logs' own reads add to the input metric, and
   * embedding them costs no more than short ones.
   */
  private static Dataset<Row> longTexts() {
    return spark.range(0, 120, 1, 12).selectExpr("id", "concat_ws(' ', transform(sequence(1, 2800), x -> "
        + "element_at(split('lake table vector slice commit driver file cell query row batch model token shard "
        + "merge stream index cluster scale spark delta parquet', ' '), cast(pmod(hash(id, x), 22) + 1 as int)))) "
        + "AS text");
  }

  private static Dataset<Row> delta(String path) {
    return spark.read().format("delta").load(path);
  }

  @Test
  void aKilledSlicedAppendResumesAndEmbedsOnlyTheRest() throws Exception {
    Path input = corpus("sliced.jsonl", 200);
    String table = path("sliced-table");
    List<String> cmd = List.of("embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id",
        "--output", table, "--output-format", "delta", "--mode", "append", "--commit-rows", "50");
    Path log = scratch.resolve("killed-sliced.log");
    KillOnEvent.runAndKill(cmd, log, () -> KillOnEvent.logContains(log, "slice 2/"),
        "two slices to commit");
    long kept = delta(table).count();
    assertTrue(kept >= 75 && kept < 200, "the killed run kept its committed slices: " + kept);

    // The same command on a changed input is refused: its committed slices were cut from other rows.
    byte[] original = Files.readAllBytes(input);
    FileTime mtime = Files.getLastModifiedTime(input);
    Files.write(input, ArrivingFiles.records(201, 201, "arrived late"), StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    CommandLineRun changed = CommandLineRun.of(spark, cmd.toArray(new String[0]));
    assertEquals(2, changed.exitCode, changed.err);
    assertTrue(changed.err.contains("changed since run") && changed.err.contains("--run-id"), changed.err);
    assertEquals(kept, delta(table).count(), "nothing written by the refused run");
    Files.write(input, original);
    Files.setLastModifiedTime(input, mtime);

    CommandLineRun rerun = CommandLineRun.of(spark, cmd.toArray(new String[0]));
    assertEquals(0, rerun.exitCode, rerun.err);
    Map<String, String> m = metrics(table);
    assertEquals(String.valueOf(200 - kept), m.get("rowsEmbedded"), m.toString());
    assertTrue(Integer.parseInt(m.get("slicesSkipped")) >= 2, m.toString());
    assertEquals(4, Integer.parseInt(m.get("slicesSkipped")) + Integer.parseInt(m.get("slicesCommitted")));
    assertEquals(200, delta(table).count());
    assertEquals(200, delta(table).select("id").distinct().count());

    // The vectors equal a clean one-commit run's (batches differ, so within float rounding).
    String clean = path("sliced-clean");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text", "--id-col",
        "id", "--output", clean, "--output-format", "delta", "--commit-rows", "0").exitCode);
    delta(table).createOrReplaceTempView("resumed");
    delta(clean).createOrReplaceTempView("clean");
    Row worst = spark.sql("SELECT count(*), min(aggregate(zip_with(r.embedding, c.embedding, (x, y) -> x * y), "
        + "0D, (acc, v) -> acc + v)) FROM resumed r JOIN clean c ON r.id = c.id").first();
    assertEquals(200L, worst.getLong(0));
    assertTrue(worst.getDouble(1) > 0.99999, "lowest cosine to the clean run " + worst.getDouble(1));

    // A finished run rerun is a no-op: every slice is recorded in the table's log.
    assertEquals(0, CommandLineRun.of(spark, cmd.toArray(new String[0])).exitCode);
    assertEquals("0", metrics(table).get("rowsEmbedded"));
    assertEquals(200, delta(table).count());
  }

  @Test
  void aSlicedMergeCommitsEverySliceOnceAndReplansAChangedInput() throws Exception {
    Path input = corpus("sliced-merge.jsonl", 120);
    String table = path("sliced-merge-table");
    String[] cmd = {"embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id", "--output", table,
        "--output-format", "delta", "--mode", "merge", "--commit-rows", "70"};
    assertEquals(0, CommandLineRun.of(spark, cmd).exitCode);
    Map<String, String> first = metrics(table);
    assertEquals("2", first.get("slicesTotal"));
    assertEquals("2", first.get("slicesCommitted"));
    assertEquals("120", first.get("rowsEmbedded"));
    long versions = io.delta.tables.DeltaTable.forPath(spark, table).history().count();

    // A changed input is a new plan for a merge, which embeds only what the table lacks.
    Files.write(input, ArrivingFiles.records(121, 130, "is new"), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    assertEquals(0, CommandLineRun.of(spark, cmd).exitCode);
    Map<String, String> second = metrics(table);
    assertEquals("130", second.get("rowsIn"));
    assertEquals("10", second.get("rowsEmbedded"));
    assertTrue(!first.get("runId").equals(second.get("runId")), "a changed input gets a new run id");
    assertEquals(130, delta(table).count());
    assertEquals(versions + 2, io.delta.tables.DeltaTable.forPath(spark, table).history().count(),
        "one commit per slice");
  }

  private static final String VECTORED_IO = "parquet.hadoop.vectored.io.enabled";

  @Test
  void aSlicedEmbedOfManyFilesReadsEachInputByteAboutOnce() throws Exception {
    String input = path("sliced-files-parquet");
    longTexts().write().parquet(input);
    long inputBytes;
    try (java.util.stream.Stream<Path> files = Files.list(java.nio.file.Paths.get(input))) {
      inputBytes = files.filter(f -> f.toString().endsWith(".parquet")).mapToLong(f -> f.toFile().length()).sum();
    }
    String table = path("sliced-files-table");
    String[] cmd = {"embed", "--input", input, "--text-col", "text", "--id-col", "id", "--output", table,
        "--output-format", "delta", "--mode", "append", "--commit-rows", "20"};
    // Spark's input metric misses the column chunks Parquet reads with vectored IO (on other
    // threads): without it, the metric counts every byte the tasks read.
    spark.conf().set(VECTORED_IO, "false");
    CommandLineRun run;
    try {
      run = CommandLineRun.of(spark, cmd);
    } finally {
      spark.conf().unset(VECTORED_IO);
    }
    assertEquals(0, run.exitCode, run.err);
    Map<String, String> m = metrics(table);
    assertEquals("files", m.get("slicesCutBy"), m.toString());
    assertEquals("6", m.get("slicesCommitted"), "twelve files of 10 rows in slices of two files: " + m);
    assertEquals("120", m.get("rowsEmbedded"), m.toString());
    assertEquals(120, delta(table).select("id").distinct().count());
    // Cut by a hash, each of the six slices would scan all twelve files: six times the input.
    long read = Long.parseLong(m.get("inputBytesRead"));
    assertTrue(read >= 0.9 * inputBytes && read <= 1.3 * inputBytes, "read " + read + " bytes of an input of "
        + inputBytes + " bytes in six slices: " + m);
    // The scans' own figure: the per-file count's scan selects every file (it reads only their
    // footers), and each slice's scan its own two files; six slices cut by hash would be 7x.
    long scanned = Long.parseLong(m.get("fileBytesScanned"));
    assertTrue(scanned >= 1.9 * inputBytes && scanned <= 2.3 * inputBytes, "scans selected " + scanned
        + " bytes of files for an input of " + inputBytes + " bytes: " + m);

    // A resume reads the files of the slices left: the plan names them.
    List<String> planFiles;
    try (java.util.stream.Stream<Path> plans = Files.list(java.nio.file.Paths.get(table, "_gte_runs"))) {
      planFiles = plans.map(p -> p.getFileName().toString()).filter(f -> !f.startsWith(".")).sorted()
          .collect(java.util.stream.Collectors.toList());
    }
    assertEquals(2, planFiles.size(), planFiles.toString());
    String fileList = planFiles.stream().filter(f -> f.endsWith(".files")).findFirst().orElseThrow();
    List<String> lines = Files.readAllLines(java.nio.file.Paths.get(table, "_gte_runs", fileList));
    assertEquals(12, lines.size(), "one line a file: " + lines);
    assertEquals(0, CommandLineRun.of(spark, cmd).exitCode);
    Map<String, String> again = metrics(table);
    assertEquals("6", again.get("slicesSkipped"), again.toString());
    // What it reads is the Delta log of the output (a few KB), not the input again.
    assertTrue(Long.parseLong(again.get("inputBytesRead")) < inputBytes / 20, "a finished run reads none of its "
        + "input again: " + again.get("inputBytesRead") + " bytes of " + inputBytes);
    assertTrue(Long.parseLong(again.get("fileBytesScanned")) < inputBytes / 20, "a finished run scans none of its "
        + "input's files: " + again);
  }

  @Test
  void aSlicedEmbedOfADeltaTableReadsEachOfItsFilesOnce() throws Exception {
    String input = path("sliced-delta-input");
    longTexts().write().format("delta").save(input);
    long inputBytes;
    try (java.util.stream.Stream<Path> files = Files.list(java.nio.file.Paths.get(input))) {
      inputBytes = files.filter(f -> f.toString().endsWith(".parquet")).mapToLong(f -> f.toFile().length()).sum();
    }
    String table = path("sliced-delta-table");
    spark.conf().set(VECTORED_IO, "false");
    CommandLineRun run;
    try {
      run = CommandLineRun.of(spark, "embed", "--input", input, "--text-col", "text", "--id-col", "id", "--output",
          table, "--output-format", "delta", "--mode", "append", "--commit-rows", "20");
    } finally {
      spark.conf().unset(VECTORED_IO);
    }
    assertEquals(0, run.exitCode, run.err);
    Map<String, String> m = metrics(table);
    assertEquals("files", m.get("slicesCutBy"), m.toString());
    assertEquals("6", m.get("slicesCommitted"), m.toString());
    assertEquals(120, delta(table).select("id").distinct().count());
    // Delta's own scan reads every file whatever the slice's filter: six slices would read 6x.
    long read = Long.parseLong(m.get("inputBytesRead"));
    assertTrue(read >= 0.9 * inputBytes && read <= 1.3 * inputBytes, "read " + read + " bytes of a Delta input of "
        + inputBytes + " bytes in six slices: " + m);
    long scanned = Long.parseLong(m.get("fileBytesScanned"));
    assertTrue(scanned <= 2.3 * inputBytes, "scans selected " + scanned + " bytes of files: " + m);

    // Deleted rows that live in a deletion vector are not gone from the files: such a table is
    // read by Delta and cut by hash, and the deleted rows stay out.
    String withDeletes = path("sliced-delta-dv-input");
    spark.range(0, 30, 1, 3).selectExpr("id", "concat('row ', id, ' of a table with deletion vectors') AS text")
        .write().format("delta").option("delta.enableDeletionVectors", "true").save(withDeletes);
    spark.sql("DELETE FROM delta.`" + withDeletes + "` WHERE id < 5");
    String dvTable = path("sliced-delta-dv-table");
    CommandLineRun dv = CommandLineRun.of(spark, "embed", "--input", withDeletes, "--text-col", "text", "--id-col",
        "id", "--output", dvTable, "--output-format", "delta", "--mode", "append", "--commit-rows", "10");
    assertEquals(0, dv.exitCode, dv.err);
    Map<String, String> dvMetrics = metrics(dvTable);
    assertEquals("hash", dvMetrics.get("slicesCutBy"), dvMetrics.toString());
    assertEquals(25, delta(dvTable).count());
    assertEquals(0, delta(dvTable).filter("id < 5").count(), "a deleted row came back");
  }

  @Test
  void slicesNeedADeltaOutput() {
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", corpusUnchecked(), "--text-col", "text",
        "--output", path("sliced-parquet"), "--commit-rows", "100");
    assertEquals(2, run.exitCode);
    assertTrue(run.err.contains("CONVERT TO DELTA"), run.err);
  }

  private static String corpusUnchecked() {
    try {
      return corpus("tiny.jsonl", 5).toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void filesArrivingBetweenTwoStreamRunsAreEmbeddedOnceAndMerged() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("arriving"));
    ArrivingFiles.add(scratch, dir, "a.json", ArrivingFiles.records(1, 10, "arrived on monday"));
    ArrivingFiles.add(scratch, dir, "b.json", ArrivingFiles.records(11, 20, "arrived on monday"));
    String table = path("stream-table");
    String[] cmd = {"embed", "--stream", "--checkpoint", path("stream-ck"), "--input", dir.toString(), "--format",
        "json", "--text-col", "text", "--id-col", "id", "--output", table, "--mode", "merge"};
    CommandLineRun first = CommandLineRun.of(spark, cmd);
    assertEquals(0, first.exitCode, first.err);
    assertEquals(20, delta(table).count());

    // A new file with two new ids and a new text for id 5.
    List<String> tuesday = new ArrayList<>(ArrivingFiles.records(21, 22, "arrived on tuesday"));
    tuesday.add("{\"id\": 5, \"text\": \"record 5 was rewritten on tuesday\"}");
    ArrivingFiles.add(scratch, dir, "c.json", tuesday);
    CommandLineRun second = CommandLineRun.of(spark, cmd);
    assertEquals(0, second.exitCode, second.err);
    assertTrue(second.out.contains("batch 1 committed: 3 rows"), second.out);
    assertEquals(22, delta(table).count());
    assertEquals(22, delta(table).select("id").distinct().count());
    assertEquals("record 5 was rewritten on tuesday", delta(table).filter("id = 5").first().getAs("text"));

    // Nothing new: nothing embedded.
    CommandLineRun third = CommandLineRun.of(spark, cmd);
    assertEquals(0, third.exitCode, third.err);
    assertTrue(third.out.contains("stopped after 0 micro-batch(es)"), third.out);
  }

  @Test
  void aStreamKilledMidBatchRestartsWithEveryIdOnce() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("arriving-kill"));
    for (int f = 0; f < 4; f++) {
      ArrivingFiles.add(scratch, dir, "part-" + f + ".json",
          ArrivingFiles.records(f * 30 + 1, f * 30 + 30, "streams in four files"));
    }
    String table = path("stream-kill-table");
    List<String> cmd = List.of("embed", "--stream", "--checkpoint", path("stream-kill-ck"), "--input", dir.toString(),
        "--format", "json", "--text-col", "text", "--id-col", "id", "--output", table, "--mode", "append",
        "--max-files-per-trigger", "1");
    Path log = scratch.resolve("killed-stream.log");
    KillOnEvent.runAndKill(cmd, log, () -> KillOnEvent.logContains(log, "batch 1 committed"), "two micro-batches");
    long kept = delta(table).count();
    assertTrue(kept >= 60 && kept < 120, "the killed stream kept its committed batches: " + kept);
    CommandLineRun restart = CommandLineRun.of(spark, cmd.toArray(new String[0]));
    assertEquals(0, restart.exitCode, restart.err);
    assertEquals(120, delta(table).count());
    assertEquals(120, delta(table).select("id").distinct().count());
  }
}
