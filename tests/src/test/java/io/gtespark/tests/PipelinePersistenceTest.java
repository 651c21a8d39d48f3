package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.spark.GteEmbedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * ML persistence across JVMs: a Pipeline(GteEmbedder, KMeans) fitted and saved here is loaded
 * and applied by another JVM (a child process with nothing shared but the saved files), and gives
 * the same vectors and clusters.
 */
class PipelinePersistenceTest extends SharedSparkSession {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @Test
  void aPipelineSavedHereGivesTheSameVectorsAndClustersInAnotherJvm() throws Exception {
    List<String> texts = new ArrayList<>();
    String[] topics = {"rivers and lakes of the north", "compilers and type systems", "baking sourdough bread"};
    for (int i = 0; i < 24; i++) {
      texts.add("note " + i + " about " + topics[i % 3]);
    }
    Dataset<Row> df = EngineOnSparkTest.frame(texts, 2);
    String input = path("pipeline-input");
    df.write().parquet(input);
    GteEmbedder embedder = new GteEmbedder().setInputCol("text").setOutputCol("features").setMaxLength(64)
        .setOutputType("vector");
    KMeans kmeans = new KMeans().setK(3).setSeed(1).setDistanceMeasure("cosine");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {embedder, kmeans}).fit(df);
    String saved = path("pipeline-saved");
    model.write().save(saved);
    Map<Long, Row> here = model.transform(spark.read().parquet(input)).select("id", "features", "prediction")
        .withColumn("features", org.apache.spark.ml.functions.vector_to_array(
            org.apache.spark.sql.functions.col("features"), "float32"))
        .collectAsList().stream().collect(Collectors.toMap(r -> r.getLong(0), r -> r));

    String output = path("pipeline-there");
    Path log = Files.createTempFile(scratch, "reload", ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    Files.readAllLines(ROOT.resolve("conf").resolve("jvm-options")).stream().map(l -> l.replaceAll("#.*", "").trim())
        .filter(l -> !l.isEmpty()).forEach(cmd::add);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PipelineReloadMain.class.getName(), saved, input,
        output));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the other JVM finished");
    } finally {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), Files.readString(log));

    List<Row> there = spark.read().parquet(output).collectAsList();
    assertEquals(texts.size(), there.size());
    for (Row r : there) {
      Row mine = here.get(r.getLong(0));
      assertEquals(mine.getInt(2), r.getInt(2), "cluster of row " + r.getLong(0));
      double cosine = VectorMath.cosine(EngineOnSparkTest.toFloats(mine.getList(1)),
          EngineOnSparkTest.toFloats(r.getList(1)));
      assertTrue(cosine >= 0.99999, "vector of row " + r.getLong(0) + ": cosine " + cosine);
    }
    assertEquals(3, there.stream().map(r -> r.getInt(2)).distinct().count());
  }
}
