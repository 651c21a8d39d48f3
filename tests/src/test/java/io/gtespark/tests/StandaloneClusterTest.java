package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Spark standalone cluster on 127.0.0.1: one master, two workers with one core each,
 * {@code embed} submitted through SparkSubmit with two executors. Checks that each executor JVM
 * created exactly one ONNX session, and that killing one executor's JVM in the middle of the job
 * still gives every id exactly once. SPARK_HOME is a folder of the build's runtime jars plus a
 * RELEASE file; every process the test starts is stopped by its PID, even on failure.
 */
class StandaloneClusterTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final List<Process> STARTED = new ArrayList<>();
  private static Path home;
  private static Path work;
  private static String masterUrl;

  @BeforeAll
  static void startCluster() throws Exception {
    SparkSession.getActiveSession().foreach(s -> {
      s.stop();
      return null;
    });
    home = Files.createTempDirectory("gte-spark-home");
    work = Files.createDirectories(home.resolve("work"));
    Path jars = Files.createDirectories(home.resolve("jars"));
    // Surefire runs tests through a manifest-only jar; the real classpath is in this property.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    for (String entry : classpath.split(File.pathSeparator)) {
      Path p = Paths.get(entry);
      if (entry.endsWith(".jar") && Files.isRegularFile(p) && !Files.exists(jars.resolve(p.getFileName()))) {
        Files.createSymbolicLink(jars.resolve(p.getFileName()), p.toAbsolutePath());
      }
    }
    Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 (gte-spark test layout)\n");
    int port = freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
        "--webui-port", "" + freePort()));
    waitFor(() -> portOpen(port), 60, "master to listen");
    for (int w = 0; w < 2; w++) {
      start("worker" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
          "--memory", "2g", "--webui-port", "" + freePort(), "--work-dir", work.toString(), masterUrl));
    }
    waitFor(() -> log("master").split("Registering worker", -1).length - 1 >= 2, 60, "two workers to register");
  }

  @AfterAll
  static void stopCluster() {
    for (Process p : STARTED) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : STARTED) {
      try {
        p.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    executorPids().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    if (home != null) {
      // Files.walk does not follow the jar links, so only the links themselves are removed.
      try (Stream<Path> s = Files.walk(home)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort: a temp folder
      }
    }
  }

  @Test
  void twoExecutorsOneSessionEachAndAKilledExecutorLosesNothing() throws Exception {
    Path input = home.resolve("docs.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 1500; i++) {
      lines.add("{\"id\": " + i + ", \"text\": \"document " + i + " on the cluster, about topic " + (i % 7)
          + " and a few more words to embed\"}");
    }
    Files.write(input, lines, StandardCharsets.UTF_8);
    String output = home.resolve("out").toString();
    Process submit = start("submit", List.of("org.apache.spark.deploy.SparkSubmit", "--master", masterUrl,
        "--class", "io.gtespark.job.GteSparkMain",
        "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=1500m",
        "--conf", "spark.task.maxFailures=4", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.gte.device=cpu",
        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", jvmOptions()),
        jobJar().toString(),
        "embed", "--input", input.toString(), "--text-col", "text", "--id-col", "id", "--output", output,
        "--partitions", "12", "--chunk-rows", "64"));
    waitFor(() -> executorPids().size() >= 2 && sessionLines() >= 2, 180, "both executors to open their sessions");
    List<Long> pids = executorPids();
    // Killed once a task of the write has committed and before the job has: the kill is known to
    // land mid-job, with finished work the driver must keep and running work it must redo.
    java.io.File committed = new java.io.File(output, "_temporary/0");
    waitFor(() -> { String[] t = committed.list((d, n) -> n.startsWith("task_")); return t != null && t.length > 0; },
        300, "a task of the write to commit");
    assertFalse(Files.exists(Paths.get(output, "_SUCCESS")), "the job had not committed when the executor was killed");
    ProcessHandle.of(pids.get(0)).ifPresent(ProcessHandle::destroyForcibly);
    assertTrue(submit.waitFor(8, TimeUnit.MINUTES), "job finished");
    assertEquals(0, submit.exitValue(), log("submit"));
    assertTrue(log("submit").contains("Lost executor"), "the executor died while the job ran");

    Map<Path, Long> sessionsPerExecutor = executorLogs().stream().collect(Collectors.toMap(p -> p,
        p -> countSessions(p)));
    // The killed executor and the one that kept running each opened one session; a replacement,
    // if the master started one before the job ended, opened at most one.
    sessionsPerExecutor.forEach((p, n) -> assertTrue(n <= 1, p + " created " + n + " sessions"));
    assertTrue(sessionsPerExecutor.values().stream().filter(n -> n == 1).count() >= 2, sessionsPerExecutor.toString());

    SparkSession spark = SharedSparkSession.sessionForCheck();
    try {
      assertEquals(1500, spark.read().parquet(output).count(), "no row lost or duplicated");
      assertEquals(1500, spark.read().parquet(output).select("id").distinct().count());
      assertEquals(1500, spark.read().parquet(output).filter("size(embedding) = 384").count());
    } finally {
      spark.stop();
    }
  }

  private static Path jobJar() throws IOException {
    try (Stream<Path> s = Files.list(ROOT.resolve("job").resolve("target"))) {
      return s.filter(p -> p.getFileName().toString().matches("gte-spark-job-[0-9.]+(-SNAPSHOT)?\\.jar"))
          .findFirst().orElseThrow(() -> new IllegalStateException("job jar not built; run mvn package"));
    }
  }

  private static List<String> jvmOptions() throws IOException {
    return Files.readAllLines(ROOT.resolve("conf").resolve("jvm-options")).stream()
        .map(l -> l.replaceAll("#.*", "").trim()).filter(l -> !l.isEmpty()).collect(Collectors.toList());
  }

  private static Process start(String name, List<String> mainAndArgs) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions());
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(home.resolve("jars") + "/*");
    cmd.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(home.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    STARTED.add(p);
    return p;
  }

  private static String log(String name) {
    try {
      return Files.readString(home.resolve(name + ".log"));
    } catch (IOException e) {
      return "";
    }
  }

  private static List<Path> executorLogs() {
    try (Stream<Path> s = Files.walk(work)) {
      return s.filter(p -> p.getFileName().toString().equals("stderr")).collect(Collectors.toList());
    } catch (IOException e) {
      return List.of();
    }
  }

  private static final Pattern SESSION = Pattern.compile("gte-spark: ONNX session for");

  private static long countSessions(Path stderr) {
    try {
      Matcher m = SESSION.matcher(Files.readString(stderr));
      long n = 0;
      while (m.find()) {
        n++;
      }
      return n;
    } catch (IOException e) {
      return 0;
    }
  }

  private static long sessionLines() {
    return executorLogs().stream().mapToLong(StandaloneClusterTest::countSessions).sum();
  }

  private static List<Long> executorPids() {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")
            && c.contains(home.toString())).orElse(false))
        .map(ProcessHandle::pid).collect(Collectors.toList());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean portOpen(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, int seconds, String what)
      throws InterruptedException {
    long end = System.currentTimeMillis() + seconds * 1000L;
    while (System.currentTimeMillis() < end) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("timed out waiting for " + what + "; master log:\n" + log("master") + "\nworker0 log:\n"
        + log("worker0") + "\nsubmit log:\n" + log("submit"));
  }
}
