package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The driver is killed with SIGKILL in the middle of {@code embed} (run as users run it, through
 * {@code submit/local.sh}), at a moment the test observes (a task's files committed, the
 * session line of a merge that has begun embedding) rather than after a fixed sleep; rerunning the same command finishes the job with every id exactly
 * once, and a merge rerun does not re-embed what an earlier run had committed.
 */
class DriverCrashTest extends SharedSparkSession {
  private static Path corpus(String name, int rows) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= rows; i++) {
      lines.add("{\"id\": " + i + ", \"text\": \"record " + i + " describes how a distributed job writes its output "
          + "exactly once, even when the process that drives it dies without warning in the middle of the work\"}");
    }
    Path p = scratch.resolve(name);
    Files.write(p, lines, StandardCharsets.UTF_8);
    return p;
  }

  private static Process launch(List<String> args, Path log) throws IOException {
    return LocalSubmit.start(args, "-Dspark.master=local[2]", log);
  }

  /** Whether a task of the Parquet write at {@code out} has committed its files (the job has not). */
  private static boolean aTaskCommitted(String out) {
    File[] tasks = new File(out, "_temporary/0").listFiles((d, n) -> n.startsWith("task_"));
    return tasks != null && tasks.length > 0;
  }

  private static void runToEnd(List<String> args) throws Exception {
    Path log = Files.createTempFile(scratch, "rerun", ".log");
    Process p = launch(args, log);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  @Test
  void parquetOverwriteRerunAfterADriverCrash() throws Exception {
    Path input = corpus("crash-parquet.jsonl", 150);
    String out = path("crash-parquet-out");
    List<String> cmd = List.of("embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id",
        "--output", out, "--mode", "overwrite", "--partitions", "6");
    KillOnEvent.runAndKill(cmd, scratch.resolve("killed-parquet.log"), () -> aTaskCommitted(out), "a task of the write to commit");
    assertTrue(Files.exists(Paths.get(out, "_temporary")) && !Files.exists(Paths.get(out, "_SUCCESS")),
        "killed after a task committed and before the job did");
    runToEnd(cmd);
    assertTrue(Files.exists(Paths.get(out, "_SUCCESS")));
    assertEquals(150, spark.read().parquet(out).count());
    assertEquals(150, spark.read().parquet(out).select("id").distinct().count());
    assertEquals(150, spark.read().parquet(out).filter("size(embedding) = 384").count());
  }

  @Test
  void deltaMergeRerunEmbedsOnlyWhatWasNotCommitted() throws Exception {
    String table = path("crash-delta");
    List<String> common = List.of("--text-col", "text", "--id-col", "id", "--output", table,
        "--output-format", "delta", "--mode", "merge", "--partitions", "6");
    List<String> first = new ArrayList<>(List.of("embed", "--input", corpus("first.jsonl", 120).toString()));
    first.addAll(common);
    runToEnd(first);
    List<String> second = new ArrayList<>(List.of("embed", "--input", corpus("second.jsonl", 360).toString()));
    second.addAll(common);
    Path log = scratch.resolve("killed-merge.log");
    KillOnEvent.runAndKill(second, log, () -> KillOnEvent.logContains(log, "ONNX session for"), "the merge to start embedding");
    assertEquals(120, spark.read().format("delta").load(table).count(),
        "the killed merge had begun embedding and committed nothing");
    runToEnd(second);
    assertEquals(360, spark.read().format("delta").load(table).count());
    assertEquals(360, spark.read().format("delta").load(table).select("id").distinct().count());
    String embedded = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(table, RunMetrics.FILE),
        new Configuration()).get("rowsEmbedded");
    assertEquals("240", embedded, "the 120 rows committed before the crash were not embedded again");
  }
}
