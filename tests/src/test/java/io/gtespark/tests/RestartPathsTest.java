package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The restart paths a lake operator takes besides a plain rerun: a checkpoint deleted and made
 * again, a micro-batch with a repeated id, a view that changed between two sliced runs, change
 * feeds continued by version, a partitioned idempotent append, and the exit code a retrying
 * scheduler reads. Each of them either keeps every row exactly once or fails with what to do.
 */
class RestartPathsTest extends SharedSparkSession {
  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertFalse(Files.exists(dir));
  }

  private static Map<String, String> metrics(String out) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, RunMetrics.FILE), new Configuration());
  }

  private static Dataset<Row> delta(String path) {
    return spark.read().format("delta").load(path);
  }

  private static CommandLineRun ok(String... args) {
    CommandLineRun run = CommandLineRun.of(spark, args);
    assertEquals(0, run.exitCode, run.err);
    return run;
  }

  private static String[] with(String[] cmd, String... more) {
    return Stream.concat(Arrays.stream(cmd), Arrays.stream(more)).toArray(String[]::new);
  }

  @Test
  void aCheckpointDeletedAndMadeAgainNeitherSkipsNorDoublesRows() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("reset-in"));
    ArrivingFiles.add(scratch, dir, "a.json", ArrivingFiles.records(1, 10, "arrived first"));
    ArrivingFiles.add(scratch, dir, "b.json", ArrivingFiles.records(11, 20, "arrived first"));
    String table = path("reset-table");
    Path checkpoint = scratch.resolve("reset-ck");
    String[] append = {"embed", "--stream", "--checkpoint", checkpoint.toString(), "--input", dir.toString(),
        "--format", "json", "--text-col", "text", "--id-col", "id", "--output", table, "--mode", "append"};
    ok(append);
    assertEquals(20, delta(table).count());

    // The usual fix for a broken checkpoint: delete it. New files arrive meanwhile.
    deleteTree(checkpoint);
    ArrivingFiles.add(scratch, dir, "c.json", ArrivingFiles.records(21, 30, "arrived after the reset"));
    CommandLineRun refused = CommandLineRun.of(spark, append);
    assertEquals(2, refused.exitCode, refused.err);
    assertTrue(refused.err.contains("is not the one whose stream appended") && refused.err.contains("--mode merge"),
        refused.err);
    assertEquals(20, delta(table).count(), "nothing appended twice");

    // A merge over the reset checkpoint reads every file again and adds only what the table lacks.
    String[] merge = append.clone();
    merge[merge.length - 1] = "merge";
    CommandLineRun merged = ok(merge);
    assertTrue(merged.out.contains("batch 0 committed: 10 rows embedded and merged"), merged.out);
    assertEquals(30, delta(table).count());
    assertEquals(30, delta(table).select("id").distinct().count());

    // Reset once more: this checkpoint's batch 0 is not mistaken for the last one's either.
    deleteTree(checkpoint);
    ArrivingFiles.add(scratch, dir, "d.json", ArrivingFiles.records(31, 31, "arrived after the second reset"));
    CommandLineRun again = ok(merge);
    assertTrue(again.out.contains("batch 0 committed: 1 rows embedded and merged"), again.out);
    assertEquals(31, delta(table).count());

    // The checkpoint that has committed (it read every file since it was made) appends what arrives next.
    ArrivingFiles.add(scratch, dir, "e.json", ArrivingFiles.records(32, 35, "arrived last"));
    CommandLineRun appended = ok(append);
    assertTrue(appended.out.contains("batch 1 committed: 4 rows embedded"), appended.out);
    assertEquals(35, delta(table).count());
    assertEquals(35, delta(table).select("id").distinct().count());
  }

  @Test
  void aMicroBatchWithARepeatedNewIdIsRefusedLikeABatchMerge() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("repeated-in"));
    List<String> lines = new ArrayList<>(ArrivingFiles.records(1, 5, "arrived once"));
    lines.add("{\"id\": 7, \"text\": \"record 7, first copy\"}");
    lines.add("{\"id\": 7, \"text\": \"record 7, second copy\"}");
    ArrivingFiles.add(scratch, dir, "a.json", lines);
    String table = path("repeated-table");
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--stream", "--checkpoint", path("repeated-ck"),
        "--input", dir.toString(), "--format", "json", "--text-col", "text", "--id-col", "id", "--output", table,
        "--mode", "merge");
    assertEquals(2, run.exitCode, run.err);
    assertTrue(run.err.contains("unique --id-col") && run.err.contains("1 duplicate value(s) in micro-batch 0"),
        run.err);
    assertEquals(0, delta(table).count(), "no row of the refused micro-batch was merged");
  }

  @Test
  void aViewThatChangedIsReplannedByASlicedMergeAndRefusedToAResumedAppend() throws Exception {
    spark.sql("CREATE OR REPLACE TEMP VIEW lake_view AS SELECT id, concat('record ', id, ' seen through a view') "
        + "AS text FROM range(1, 121)");
    String table = path("view-merge");
    String[] merge = {"embed", "--input", "lake_view", "--format", "table", "--text-col", "text", "--id-col", "id",
        "--output", table, "--output-format", "delta", "--mode", "merge", "--commit-rows", "50"};
    ok(merge);
    assertEquals("120", metrics(table).get("rowsEmbedded"));
    assertEquals("3", metrics(table).get("slicesTotal"));

    // Ten texts change and ten rows are added: the view has no files, so its rows are its fingerprint.
    spark.sql("CREATE OR REPLACE TEMP VIEW lake_view AS SELECT id, CASE WHEN id <= 10 THEN concat('record ', id, "
        + "' revised') ELSE concat('record ', id, ' seen through a view') END AS text FROM range(1, 131)");
    ok(merge);
    Map<String, String> m = metrics(table);
    assertEquals("20", m.get("rowsEmbedded"), m.toString());
    assertEquals("130", m.get("rowsIn"), m.toString());
    assertEquals(130, delta(table).count());
    assertEquals(10, delta(table).filter("text LIKE '% revised'").count());

    // An append over the view resumes only while its rows are the ones planned on.
    String appended = path("view-append");
    String[] append = {"embed", "--input", "lake_view", "--format", "table", "--text-col", "text", "--output",
        appended, "--output-format", "delta", "--mode", "append", "--commit-rows", "50"};
    ok(append);
    assertEquals(130, delta(appended).count());
    ok(append);
    assertEquals("0", metrics(appended).get("rowsEmbedded"), "a finished run over unchanged rows is a no-op");
    spark.sql("CREATE OR REPLACE TEMP VIEW lake_view AS SELECT id, concat('record ', id, ' seen through a view') "
        + "AS text FROM range(1, 141)");
    CommandLineRun changed = CommandLineRun.of(spark, append);
    assertEquals(2, changed.exitCode, changed.err);
    assertTrue(changed.err.contains("changed since run"), changed.err);
    assertEquals(130, delta(appended).count());
  }

  @Test
  void sinceVersionAutoContinuesTheRecordedVersionAndRefusesAGapOrAnotherSource() throws Exception {
    String source = path("auto-source");
    spark.read().json(spark.createDataset(ArrivingFiles.records(1, 30, "from the source"),
        org.apache.spark.sql.Encoders.STRING())).write().format("delta").save(source);
    spark.sql("ALTER TABLE delta.`" + source + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    String out = path("auto-vectors");
    String[] merge = {"embed", "--input", source, "--format", "delta", "--text-col", "text", "--id-col", "id",
        "--output", out, "--output-format", "delta", "--mode", "merge"};
    String[] auto = with(merge, "--since-version", "auto");

    // Before any full merge there is nothing to continue from.
    CommandLineRun early = CommandLineRun.of(spark, auto);
    assertEquals(2, early.exitCode, early.err);
    assertTrue(early.err.contains("none is recorded"), early.err);
    ok(merge); // the full merge records source version 1
    String table = "delta.`" + source + "`";

    // Run 1: one insert (version 2), continued by auto.
    spark.sql("INSERT INTO " + table + " VALUES (31, 'record 31 inserted')");
    ok(auto);
    assertEquals("1", metrics(out).get("sinceVersion"));
    assertEquals("2", metrics(out).get("inputVersion"));
    assertEquals("1", metrics(out).get("rowsEmbedded"));

    // Run 2: two more commits (versions 3 and 4); a hand-copied version that skips version 3 is refused.
    spark.sql("INSERT INTO " + table + " VALUES (32, 'record 32 inserted')");
    spark.sql("UPDATE " + table + " SET text = 'record 5 rewritten' WHERE id = 5");
    CommandLineRun gap = CommandLineRun.of(spark, with(merge, "--since-version", "3"));
    assertEquals(2, gap.exitCode, gap.err);
    assertTrue(gap.err.contains("would skip the changes of version 3") && gap.err.contains("up to version 2"),
        gap.err);
    assertEquals(31, delta(out).count(), "nothing applied by the refused run");
    ok(auto);
    assertEquals("2", metrics(out).get("sinceVersion"));
    assertEquals("2", metrics(out).get("rowsEmbedded"), "id 32 and the new text of id 5");
    assertEquals(32, delta(out).count());
    assertEquals("record 5 rewritten", delta(out).filter("id = 5").first().getAs("text"));

    // Run 3: a delete, then the same range applied twice: the repeat is a no-op.
    spark.sql("DELETE FROM " + table + " WHERE id = 6");
    ok(with(merge, "--since-version", "4"));
    assertEquals("1", metrics(out).get("rowsDeleted"));
    assertEquals(31, delta(out).count());
    long commits = io.delta.tables.DeltaTable.forPath(spark, out).history().count();
    CommandLineRun repeated = ok(with(merge, "--since-version", "2"));
    assertTrue(repeated.out.contains("versions 3 to 5") && repeated.out.contains("applied"), repeated.out);
    assertEquals("0", metrics(out).get("rowsEmbedded"));
    assertEquals("0", metrics(out).get("rowsDeleted"));
    assertEquals(commits, io.delta.tables.DeltaTable.forPath(spark, out).history().count(), "no commit for a repeat");
    assertEquals(31, delta(out).count());

    // Another source (another table id) is not this table's history.
    String other = path("auto-other-source");
    spark.read().json(spark.createDataset(ArrivingFiles.records(100, 105, "elsewhere"), org.apache.spark.sql.Encoders.STRING()))
        .write().format("delta").save(other);
    spark.sql("ALTER TABLE delta.`" + other + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    CommandLineRun foreign = CommandLineRun.of(spark, "embed", "--input", other, "--format", "delta", "--text-col",
        "text", "--id-col", "id", "--output", out, "--output-format", "delta", "--mode", "merge", "--since-version",
        "0");
    assertEquals(2, foreign.exitCode, foreign.err);
    assertTrue(foreign.err.contains("follows another Delta source"), foreign.err);
    assertEquals(31, delta(out).count());
  }

  @Test
  void anIdempotentAppendToANewTableIsPartitionedAsAsked() throws Exception {
    Path input = scratch.resolve("txn-partitioned.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      lines.add("{\"id\": " + i + ", \"day\": \"2024-01-0" + (1 + i % 2) + "\", \"text\": \"item " + i + "\"}");
    }
    Files.write(input, lines, StandardCharsets.UTF_8);
    String out = path("txn-partitioned");
    String[] cmd = {"embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id", "--output", out,
        "--output-format", "delta", "--mode", "append", "--partition-by", "day", "--txn-app-id", "nightly",
        "--txn-version", "7"};
    ok(cmd);
    Row detail = spark.sql("DESCRIBE DETAIL delta.`" + out + "`").first();
    assertEquals(List.of("day"), detail.getList(detail.fieldIndex("partitionColumns")));
    assertEquals(12, delta(out).count());
    ok(cmd);
    assertEquals(12, delta(out).count(), "the scheduler's rerun of run 7 is skipped");
  }

  /** A model store that is down: every call fails as an HDFS or S3 outage does. */
  public static final class UnreachableStore extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("gtedown:///");
    }

    @Override
    public FileStatus getFileStatus(org.apache.hadoop.fs.Path f) throws IOException {
      throw down(f);
    }

    @Override
    public boolean exists(org.apache.hadoop.fs.Path f) throws IOException {
      throw down(f);
    }

    private static IOException down(org.apache.hadoop.fs.Path f) {
      return new java.net.ConnectException("Connection refused: the model store at " + f + " is down");
    }
  }

  @Test
  void anUnreachableModelStoreExitsOneWhereAWrongModelExitsTwo() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("fs.gtedown.impl", UnreachableStore.class.getName());
    conf.setBoolean("fs.gtedown.impl.disable.cache", true);
    Path input = scratch.resolve("exit-codes.jsonl");
    Files.write(input, ArrivingFiles.records(1, 3, "to embed"), StandardCharsets.UTF_8);
    CommandLineRun down = CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text",
        "--output", path("exit-down"), "--model", "gtedown:///models/gte-small");
    assertEquals(1, down.exitCode, "an outage may pass: a scheduler should retry. " + down.err);
    assertTrue(down.err.contains("gtedown:///models/gte-small") && down.err.contains("Connection refused"), down.err);

    CommandLineRun missing = CommandLineRun.of(spark, "embed", "--input", input.toString(), "--text-col", "text",
        "--output", path("exit-missing"), "--model", scratch.resolve("no-such-model").toString());
    assertEquals(2, missing.exitCode, "a wrong --model is the user's to change. " + missing.err);
  }
}
