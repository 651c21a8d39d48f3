package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Random;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Exact top-K streams its corpus: a search over more vector bytes than the whole JVM heap of
 * the run (driver and executor in one 512 MiB local-mode JVM) finishes with the right answers.
 */
class ExactSearchMemoryTest extends SharedSparkSession {
  private static final int ROWS = 100_000;
  private static final int DIM = 1536;
  private static final int HEAP_MIB = 512;
  private static final int QUERIES = 64;
  private static final int K = 5;

  /** Row {@code id}: its vector of {@code DIM} values in -63/64..63/64, the same in every run. */
  static Row vectorRow(Long id) {
    float[] v = vectorOf(id);
    List<Float> values = new ArrayList<>(v.length);
    for (float x : v) {
      values.add(x);
    }
    return RowFactory.create(id, scala.jdk.javaapi.CollectionConverters.asScala(values).toSeq());
  }

  static float[] vectorOf(long id) {
    Random random = new Random(id);
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (random.nextInt(127) - 63) / 64f;
    }
    return v;
  }

  @Test
  void aCorpusLargerThanTheHeapIsSearchedExactly() throws Exception {
    assertTrue((long) ROWS * DIM * 4 > (long) HEAP_MIB << 20, "the corpus must not fit in the heap");
    // Deterministic pseudo-random vectors, made in Spark tasks without a driver-side copy. 127
    // levels a value keep the files small (dictionary encoding); row groups of 16 MiB, because
    // Parquet reads a whole row group into memory and its default 128 MiB is sized for bigger heaps.
    String corpus = path("big-corpus");
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    spark.range(0, ROWS, 1, 8).map((MapFunction<Long, Row>) ExactSearchMemoryTest::vectorRow, Encoders.row(schema))
        .write().option("parquet.block.size", 16 << 20).parquet(corpus);
    String queries = path("big-queries");
    spark.read().parquet(corpus).filter("id % " + (ROWS / QUERIES) + " = 7").limit(QUERIES).write().parquet(queries);
    String out = path("big-topk");

    Path log = Files.createTempFile(scratch, "exact-small-heap", ".log");
    Process p = LocalSubmit.start(List.of("similarity", "--queries", queries, "--corpus", corpus, "--top-k", "" + K,
        "--output", out), "-Dspark.master=local[2] -Xmx" + HEAP_MIB + "m", log);
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "finished");
    assertEquals(0, p.exitValue(), Files.readString(log));

    Dataset<Row> result = spark.read().parquet(out);
    assertEquals((long) QUERIES * K, result.count());
    // Each query is a corpus row, so its best match is itself at cosine 1; the rest are far below.
    List<Row> best = result.filter("rank = 1").collectAsList();
    assertEquals(QUERIES, best.size());
    for (Row r : best) {
      assertEquals(r.getLong(r.fieldIndex("query_id")), r.getLong(r.fieldIndex("doc_id")));
      assertEquals(1.0, r.getDouble(r.fieldIndex("score")), 1e-5);
    }
    // One query's whole list against a brute-force cosine over the corpus, streamed through this JVM.
    long q = best.get(0).getLong(best.get(0).fieldIndex("query_id"));
    float[] qv = vectorOf(q);
    TreeMap<Double, Long> top = new TreeMap<>();
    Iterator<Row> all = spark.read().parquet(corpus).toLocalIterator();
    while (all.hasNext()) {
      Row r = all.next();
      top.put(VectorMath.cosine(qv, EngineOnSparkTest.toFloats(r.getList(1))), r.getLong(0));
      if (top.size() > K) {
        top.pollFirstEntry();
      }
    }
    Map<Long, Double> expected = new HashMap<>();
    top.forEach((cosine, id) -> expected.put(id, cosine));
    List<Row> got = result.filter("query_id = " + q).collectAsList();
    assertEquals(K, got.size());
    for (Row r : got) {
      long doc = r.getLong(r.fieldIndex("doc_id"));
      assertTrue(expected.containsKey(doc), "doc " + doc + " is not among the exact top " + K + ": " + expected);
      assertEquals(expected.get(doc), r.getDouble(r.fieldIndex("score")), 1e-5);
    }
  }
}
