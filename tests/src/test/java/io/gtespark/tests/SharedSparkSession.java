package io.gtespark.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session per test class (two cores, UI off, loopback, Delta enabled) and a
 * scratch folder removed afterwards.
 */
public abstract class SharedSparkSession {
  protected static SparkSession spark;
  protected static Path scratch;

  @BeforeAll
  static void startSpark() throws IOException {
    scratch = Files.createTempDirectory("gte-spark-test");
    spark = session(System.getProperty("gte.test.master", "local[2]"));
  }

  /** A local session on {@code master} with the settings every test class shares. */
  static SparkSession session(String master) {
    return session(master, "io.delta.sql.DeltaSparkSessionExtension");
  }

  /** As {@link #session(String)}, with {@code extensions} as {@code spark.sql.extensions}. */
  static SparkSession session(String master, String extensions) {
    return session(master, extensions, java.util.Map.of());
  }

  /** As {@link #session(String, String)}, with more Spark properties. */
  static SparkSession session(String master, String extensions, java.util.Map<String, String> more) {
    SparkSession.Builder builder = SparkSession.builder();
    more.forEach(builder::config);
    return builder
        .master(master)
        .appName("gte-spark-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.databricks.delta.snapshotPartitions", "4")
        .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
        .config("spark.sql.extensions", extensions)
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.gte.device", "cpu")
        .getOrCreate();
  }

  @AfterAll
  static void stopSpark() throws IOException {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    if (scratch != null) {
      try (Stream<Path> s = Files.walk(scratch)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A short-lived local session for tests that run Spark elsewhere and only read results here. */
  static SparkSession sessionForCheck() throws IOException {
    if (scratch == null) {
      scratch = Files.createTempDirectory("gte-spark-check");
    }
    return session("local[1]");
  }

  /** A fresh path inside the scratch folder. */
  protected static String path(String name) {
    return scratch.resolve(name).toString();
  }
}
