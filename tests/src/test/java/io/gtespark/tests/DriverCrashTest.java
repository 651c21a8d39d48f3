package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.metrics.RunMetrics;
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
 * {@code submit/local.sh}); rerunning the same command finishes the job with every id exactly
 * once, and a merge rerun does not re-embed what an earlier run had committed.
 */
class DriverCrashTest extends SharedSparkSession {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

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
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("submit").resolve("local.sh").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("GTE_JAVA_OPTS", "-Dspark.master=local[2] -Dspark.gte.device=cpu");
    return pb.start();
  }

  /** Starts the command and kills it with SIGKILL once it has been embedding for a moment. */
  private static void runAndKill(List<String> args) throws Exception {
    Path log = Files.createTempFile(scratch, "killed", ".log");
    Process p = launch(args, log);
    long end = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < end && !Files.readString(log).contains("ONNX session for")) {
      assertTrue(p.isAlive(), "the run ended before it could be killed:\n" + Files.readString(log));
      Thread.sleep(200);
    }
    Thread.sleep(1500);
    assertTrue(p.isAlive(), "the run ended before it could be killed:\n" + Files.readString(log));
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
    p.waitFor(30, TimeUnit.SECONDS);
    assertEquals(137, p.exitValue());
  }

  private static void runToEnd(List<String> args) throws Exception {
    Path log = Files.createTempFile(scratch, "rerun", ".log");
    Process p = launch(args, log);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  @Test
  void parquetOverwriteRerunAfterADriverCrash() throws Exception {
    Path input = corpus("crash-parquet.jsonl", 900);
    String out = path("crash-parquet-out");
    List<String> cmd = List.of("embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id",
        "--output", out, "--mode", "overwrite", "--partitions", "6");
    runAndKill(cmd);
    runToEnd(cmd);
    assertEquals(900, spark.read().parquet(out).count());
    assertEquals(900, spark.read().parquet(out).select("id").distinct().count());
    assertEquals(900, spark.read().parquet(out).filter("size(embedding) = 384").count());
  }

  @Test
  void deltaMergeRerunEmbedsOnlyWhatWasNotCommitted() throws Exception {
    String table = path("crash-delta");
    List<String> common = List.of("--text-col", "text", "--id-col", "id", "--output", table,
        "--output-format", "delta", "--mode", "merge", "--partitions", "6");
    List<String> first = new ArrayList<>(List.of("embed", "--input", corpus("first.jsonl", 300).toString()));
    first.addAll(common);
    runToEnd(first);
    List<String> second = new ArrayList<>(List.of("embed", "--input", corpus("second.jsonl", 900).toString()));
    second.addAll(common);
    runAndKill(second);
    assertEquals(300, spark.read().format("delta").load(table).count(), "the killed merge committed nothing");
    runToEnd(second);
    assertEquals(900, spark.read().format("delta").load(table).count());
    assertEquals(900, spark.read().format("delta").load(table).select("id").distinct().count());
    String embedded = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(table, RunMetrics.FILE),
        new Configuration()).get("rowsEmbedded");
    assertEquals("600", embedded, "the 300 rows committed before the crash were not embedded again");
  }
}
