package io.gtespark.tests;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts {@code submit/local.sh} as a user runs it, in a child JVM, its output going to a log file. */
final class LocalSubmit {
  static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static boolean archiveChecked;

  private LocalSubmit() {}

  /** Starts {@code submit/local.sh args} with {@code javaOptions} as GTE_JAVA_OPTS (a CPU run unless they say else). */
  static Process start(List<String> args, String javaOptions, Path log) throws IOException {
    ensureClassArchive();
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("submit").resolve("local.sh").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("GTE_JAVA_OPTS", "-Dspark.gte.device=cpu " + javaOptions);
    return pb.start();
  }

  /**
   * Once per test JVM: when local.sh has no class-data archive newer than the job's jar (a fresh
   * build), one short run that ends normally, so that it saves one. Runs that are killed never
   * save it, and the classes that kill their runs first would otherwise start every child
   * without it (ResumableEmbedTest took 174 s instead of 141 s). A failed warm-up is ignored:
   * the runs after it work either way, only slower.
   */
  private static synchronized void ensureClassArchive() {
    if (archiveChecked) {
      return;
    }
    archiveChecked = true;
    File target = ROOT.resolve("job").resolve("target").toFile();
    File[] jars = target.listFiles((d, n) -> n.startsWith("gte-spark-job-") && n.endsWith(".jar"));
    File[] archives = target.listFiles((d, n) -> n.startsWith("local-cds-") && n.endsWith(".jsa"));
    long jar = jars == null ? 0 : java.util.Arrays.stream(jars).mapToLong(File::lastModified).max().orElse(0);
    if (archives != null && java.util.Arrays.stream(archives).anyMatch(a -> a.lastModified() > jar)) {
      return;
    }
    try {
      Path scratch = Files.createTempDirectory("gte-archive-warmup");
      Process p = start(List.of("embed", "--input", "notebooks/data/sample-docs.jsonl", "--text-col", "text",
          "--id-col", "id", "--output", scratch.resolve("out").toString(), "--mode", "overwrite"),
          "-Dspark.master=local[2]", scratch.resolve("warmup.log"));
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
      }
      try (java.util.stream.Stream<Path> s = Files.walk(scratch)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    } catch (IOException e) {
      System.err.println("local.sh class-data archive warm-up did not run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
