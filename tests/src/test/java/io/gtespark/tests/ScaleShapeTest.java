package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.VectorMath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shape of a billion-row run on one machine: 10,000 vectors of 384 dimensions in 400 files
 * read as 400 partitions, a cell count far beyond the rows' needs, and a driver whose
 * spark.driver.maxResultSize is 32 MB, through submit/local.sh as a user runs it. What a task
 * sends the driver must not grow with the partitions or the cells, or these runs abort (the code
 * before this guard aborted similarity --approx at 400 partitions and nlist 1024 under 16 MB).
 */
class ScaleShapeTest extends SharedSparkSession {
  private static final int DIM = 384;
  private static final int FILES = 400;
  private static final int ROWS = 10_000;
  private static final long RESULT_LIMIT = 32L << 20;
  private static String table;

  @BeforeAll
  static void writeVectors() {
    Random rnd = new Random(11);
    List<Row> rows = new ArrayList<>();
    long id = 0;
    for (int t = 0; t < 200; t++) {
      float[] centre = gaussian(rnd, 1.0);
      for (int i = 0; i < ROWS / 200; i++) {
        float[] v = gaussian(rnd, 0.4);
        List<Float> list = new ArrayList<>(DIM);
        for (int d = 0; d < DIM; d++) {
          v[d] += centre[d];
        }
        VectorMath.normalize(v);
        for (float f : v) {
          list.add(f);
        }
        rows.add(RowFactory.create(id++, list));
      }
    }
    table = path("scale-vectors");
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType))).repartition(FILES).write().parquet(table);
  }

  private static float[] gaussian(Random rnd, double scale) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  /** Runs a stage in its own JVM with the small driver; returns its metrics. */
  private static Map<String, String> run(String name, String... args) throws Exception {
    Path log = scratch.resolve(name + ".log");
    // One file a partition (a file is ~40 KB): the partition count a large table has.
    Process p = LocalSubmit.start(List.of(args), "-Dspark.master=local[2] -Xmx2g -Dspark.driver.maxResultSize=32m "
        + "-Dspark.sql.files.maxPartitionBytes=50k -Dspark.sql.files.openCostInBytes=1k", log);
    assertTrue(p.waitFor(8, TimeUnit.MINUTES), name + " did not finish");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out.length() > 4000 ? out.substring(out.length() - 4000) : out);
    String output = args[List.of(args).indexOf("--output") + 1];
    Map<String, String> m = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, "_gte_metrics.json"),
        new Configuration());
    assertTrue(Long.parseLong(m.get("tasks")) >= FILES, name + " ran on the table's partitions: " + m);
    assertTrue(Long.parseLong(m.get("largestTaskResultBytes")) < RESULT_LIMIT / 4, name + ": " + m);
    return m;
  }

  @Test
  void approximateSearchRunsAtManyPartitionsAndCellsUnderASmallDriverLimit() throws Exception {
    Map<String, String> search = run("scale-similarity", "similarity", "--self", "--approx", "--input", table,
        "--top-k", "10", "--nlist", "2048", "--nprobe", "32", "--output", path("scale-similarity"));
    assertEquals("2048", search.get("nlist"));
    assertTrue(Double.parseDouble(search.get("recallAtK")) > 0.5, search.toString());
    assertEquals(String.valueOf(ROWS * 10), search.get("rowsOut"));

    // dedup runs the same search (its grouping at scale is the test below). submit/scale-model.sh
    // runs it at this shape.
  }

  @Test
  void clusteringIntoAThousandClustersAtManyPartitionsStaysUnderASmallDriverLimit() throws Exception {
    // What every partition learns of the clusters (sizes, sums, nearest rows) is k x d numbers: a
    // dense partial from each task, added by a tree, reached the driver as 20 partials of 3 MB here.
    Map<String, String> m = run("scale-cluster", "cluster", "--input", table, "--k", "1000", "--max-iter", "2",
        "--output", path("scale-cluster"));
    assertEquals("1000", m.get("k"), m.toString());
    long clustered = spark.read().parquet(path("scale-cluster") + "/assignments").count();
    assertEquals(ROWS, clustered);
  }

  /**
   * One group of over 100,000 near-duplicates (a random walk on the sphere, each step a cosine of about
   * 0.97 from the last, ids shuffled) deduplicated under a 1 GB heap: no task holds the group.
   */
  @Test
  void aHundredThousandRowGroupIsDecidedUnderAOneGigabyteHeap() throws Exception {
    int n = 110_000;
    int dim = 32;
    Random rnd = new Random(5);
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      long t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    Map<Long, float[]> vectors = new java.util.HashMap<>();
    List<Row> rows = new ArrayList<>(n);
    float[] v = new float[dim];
    v[0] = 1;
    for (int i = 0; i < n; i++) {
      float[] next = new float[dim];
      for (int d = 0; d < dim; d++) {
        next[d] = v[d] + (float) (rnd.nextGaussian() * 0.044);
      }
      VectorMath.normalize(next);
      v = next;
      vectors.put(ids[i], v);
      List<Float> list = new ArrayList<>(dim);
      for (float f : v) {
        list.add(f);
      }
      rows.add(RowFactory.create(ids[i], list));
    }
    String walk = path("walk-vectors");
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType))).repartition(8).write().parquet(walk);
    String out = path("walk-dedup");
    Path log = scratch.resolve("walk-dedup.log");
    Process p = LocalSubmit.start(List.of("dedup", "--input", walk, "--threshold", "0.9", "--output", out),
        "-Dspark.master=local[2] -Xmx1g", log);
    assertTrue(p.waitFor(8, TimeUnit.MINUTES), "dedup did not finish");
    String printed = Files.readString(log);
    assertEquals(0, p.exitValue(), printed.length() > 4000 ? printed.substring(printed.length() - 4000) : printed);
    Map<String, String> m = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(out, "_gte_metrics.json"),
        new Configuration());
    assertTrue(Long.parseLong(m.get("largestGroup")) >= 100_000, "one group of at least 100,000 rows: " + m);
    assertTrue(Integer.parseInt(m.get("keepRounds")) >= 1, m.toString());

    // The contract: every id once; every duplicate points at a kept row with its true cosine >= 0.9.
    java.util.Set<Long> kept = new java.util.HashSet<>();
    for (Row r : spark.read().parquet(out + "/kept").select("id").collectAsList()) {
      assertTrue(kept.add(r.getLong(0)), "kept once: " + r.getLong(0));
    }
    java.util.Set<Long> removed = new java.util.HashSet<>();
    for (Row r : spark.read().parquet(out + "/duplicates").select("id", "duplicate_of", "score").collectAsList()) {
      long id = r.getLong(0);
      long to = r.getLong(1);
      assertTrue(removed.add(id) && !kept.contains(id), "in one output only: " + id);
      assertTrue(kept.contains(to), id + " points at " + to + ", which is not kept");
      assertTrue(r.getDouble(2) >= 0.9, id + " scores " + r.getDouble(2));
      assertEquals(VectorMath.cosine(vectors.get(id), vectors.get(to)), r.getDouble(2), 1e-5);
    }
    assertEquals(n, kept.size() + removed.size());
    assertTrue(removed.size() > n / 2, "most of a chain of near-duplicates goes: " + removed.size());
  }
}
