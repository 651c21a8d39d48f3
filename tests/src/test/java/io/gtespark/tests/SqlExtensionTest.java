package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.encode.BundledSpec;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session whose only tie to gte-spark is {@code spark.sql.extensions}: no project code is
 * called, yet SQL and DataFrame expressions answer gte_embed, gte_similarity and gte_vector.
 */
class SqlExtensionTest extends SharedSparkSession {
  private static final Path SAMPLE = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath();
  private static final String TEXT = "Spark runs the same query on a laptop and on a thousand nodes.";

  @BeforeAll
  static void restartWithTheExtension() {
    spark.stop();
    spark = session("local[2]", "io.delta.sql.DeltaSparkSessionExtension,io.gtespark.udf.spark.GteSparkSessionExtension");
  }

  private static float[] sqlVector(String sql) {
    return EngineOnSparkTest.toFloats(spark.sql(sql).first().getList(0));
  }

  @Test
  void sqlAnswersTheThreeFunctionsWithTheVectorsOfTheEngine() {
    float[] expected = TextEncoder.forTask(BundledSpec.builder().build()).encode(List.of(TEXT))[0];
    float[] got = sqlVector("SELECT gte_embed('" + TEXT + "')");
    assertEquals(384, got.length);
    assertTrue(VectorMath.cosine(expected, got) >= 0.9999, "cosine " + VectorMath.cosine(expected, got));
    assertNull(spark.sql("SELECT gte_embed(CAST(NULL AS STRING))").first().get(0));

    Row r = spark.sql("SELECT gte_similarity(gte_embed('a cat sat on the mat'), gte_embed('a cat was on the mat')), "
        + "gte_similarity(gte_embed('a cat sat on the mat'), gte_embed('quarterly tax filing deadlines'))").first();
    assertTrue(r.getDouble(0) > r.getDouble(1), r.toString());
    assertEquals(1.0, spark.sql("SELECT gte_similarity(array(3f, 4f), array(6f, 8f))").first().getDouble(0), 1e-6,
        "a cosine, not an inner product");

    // The DataFrame API reaches the same functions through expr().
    List<Row> rows = spark.read().json(SAMPLE.toString()).filter("id <= 3")
        .withColumn("v", functions.expr("gte_embed(text)")).select("v").collectAsList();
    assertEquals(3, rows.size());
    rows.forEach(row -> assertEquals(384, row.getList(0).size()));
  }

  @Test
  void float16OutputsReadBackWithGteVector() {
    String out = path("half");
    assertEquals(0, CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--vector-type", "float16", "--output", out).exitCode);
    spark.read().parquet(out).createOrReplaceTempView("half");
    Row r = spark.sql("SELECT gte_vector(embedding) AS v, text FROM half WHERE id = 1").first();
    float[] full = TextEncoder.forTask(BundledSpec.builder().build()).encode(List.of(r.getString(1)))[0];
    assertTrue(VectorMath.cosine(full, EngineOnSparkTest.toFloats(r.getList(0))) >= 0.999);
  }

  @Test
  void settingsComeFromTheSessionAndWrongOnesNameTheirProperty() {
    float[] cls = sqlVector("SELECT gte_embed('" + TEXT + "')");
    spark.conf().set("spark.gte.pooling", "mean");
    try {
      float[] mean = sqlVector("SELECT gte_embed('" + TEXT + "')");
      assertTrue(VectorMath.cosine(cls, mean) < 0.9999, "spark.gte.pooling=mean changed nothing");
      spark.conf().set("spark.gte.maxLength", "4096");
      Exception e = assertThrows(Exception.class, () -> spark.sql("SELECT gte_embed('x')").collect());
      assertTrue(String.valueOf(e.getMessage()).contains("spark.gte.maxLength"), e.getMessage());
      IllegalArgumentException arity = assertThrows(IllegalArgumentException.class,
          () -> spark.sql("SELECT gte_embed('a', 'b')").collect());
      assertTrue(arity.getMessage().contains("gte_embed takes 1 argument"), arity.getMessage());
    } finally {
      spark.conf().unset("spark.gte.pooling");
      spark.conf().unset("spark.gte.maxLength");
    }
  }
}
