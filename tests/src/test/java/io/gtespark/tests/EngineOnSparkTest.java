package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.api.SentenceComparison;
import io.gtespark.udf.encode.BundledSpec;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.ReferenceEncoder;
import io.gtespark.udf.encode.SessionRegistry;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.spark.EmbeddingSettings;
import io.gtespark.udf.spark.GteConf;
import io.gtespark.udf.spark.GteEmbedder;
import io.gtespark.udf.spark.GteSqlFunctions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The engine's Spark surfaces on real Spark and the real bundled model. */
class EngineOnSparkTest extends SharedSparkSession {
  static final String QUERY = "how long it take to get a master degree";
  static final List<String> CANDIDATES = List.of(
      "On average, students take about 18 to 24 months to complete a master degree.",
      "On the other hand, some students prefer to go at a slower pace and choose to take",
      "several years to complete their studies.",
      "It can take anywhere from two semesters");

  static List<String> corpus() {
    List<String> texts = new ArrayList<>();
    texts.add(QUERY);
    texts.addAll(CANDIDATES);
    String[] subjects = {"The river", "A compiler", "The central bank", "Our team", "The telescope", "My garden"};
    String[] verbs = {"changes", "measures", "protects", "explains", "follows", "improves"};
    String[] objects = {"the long winter", "every small detail of the plan", "interest rates", "the distant galaxy",
        "fresh tomatoes and basil", "a race condition in the scheduler"};
    for (int i = 0; i < 60; i++) {
      texts.add(subjects[i % 6] + " " + verbs[(i / 6) % 6] + " " + objects[(i * 5) % 6]
          + (i % 4 == 0 ? ", which surprised everyone who had watched it closely for many years." : "."));
    }
    return texts;
  }

  static Dataset<Row> frame(List<String> texts, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create((long) i, texts.get(i)));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType, false).add("text", DataTypes.StringType, true);
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  static Map<Long, float[]> vectors(Dataset<Row> embedded) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r : embedded.select("id", "embedding").collectAsList()) {
      m.put(r.getLong(0), r.isNullAt(1) ? null : toFloats(r.getList(1)));
    }
    return m;
  }

  static float[] toFloats(List<Object> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (Float) list.get(i);
    }
    return v;
  }

  @Test
  void sparkPathEqualsBareEncoderAndIndependentImplementation() throws Exception {
    List<String> texts = corpus();
    Map<Long, float[]> viaSpark = vectors(new GteEmbedder().setInputCol("text").transform(frame(texts, 3)));
    float[][] bare = TextEncoder.forTask(BundledSpec.builder().build()).encode(texts);
    double worstBare = 1;
    double worstReference = 1;
    try (ReferenceEncoder reference = ReferenceEncoder.forBundled()) {
      for (int i = 0; i < texts.size(); i++) {
        float[] v = viaSpark.get((long) i);
        assertEquals(384, v.length);
        worstBare = Math.min(worstBare, VectorMath.cosine(v, bare[i]));
        worstReference = Math.min(worstReference, VectorMath.cosine(v, reference.embed(texts.get(i))));
      }
    }
    assertTrue(worstBare >= 0.9999, "Spark vs bare encoder, worst cosine " + worstBare);
    assertTrue(worstReference >= 0.9999, "Spark vs independent implementation, worst cosine " + worstReference);
    System.out.printf("parity: worst cosine Spark/bare %.7f, Spark/reference %.7f over %d texts%n",
        worstBare, worstReference, texts.size());
  }

  @Test
  void resultsDoNotDependOnPartitioningChunkingOrBudget() {
    List<String> texts = corpus();
    Map<Long, float[]> a = vectors(new GteEmbedder().setInputCol("text").transform(frame(texts, 1)));
    spark.conf().set(GteConf.CHUNK_ROWS, "7");
    try {
      Map<Long, float[]> b = vectors(new GteEmbedder().setInputCol("text").setBatchMaxTokens(40)
          .transform(frame(texts, 5)));
      for (long id = 0; id < texts.size(); id++) {
        double cos = VectorMath.cosine(a.get(id), b.get(id));
        assertTrue(cos >= 0.99999, "row " + id + " cosine " + cos);
      }
    } finally {
      spark.conf().unset(GteConf.CHUNK_ROWS);
    }
  }

  @Test
  void badInputKeepsEveryRowAndFollowsTheRules() {
    StringBuilder huge = new StringBuilder();
    while (huge.length() < 100_000) {
      huge.append("a very long document about data lakes ");
    }
    List<String> texts = Arrays.asList(null, "", "  \t ", "ctrl\u0000\u0007chars", "lone \uD800 surrogate",
        "emoji \uD83D\uDE80 CJK 中文 עברית", "<p>HTML &amp; tags</p>", huge.toString());
    Map<Long, float[]> v = vectors(new GteEmbedder().setInputCol("text").transform(frame(texts, 2)));
    assertEquals(texts.size(), v.size(), "no row dropped");
    assertNull(v.get(0L));
    assertNull(v.get(1L));
    assertNull(v.get(2L));
    for (long id = 3; id < texts.size(); id++) {
      assertNotNull(v.get(id), "row " + id);
      assertEquals(1.0, Math.sqrt(VectorMath.dot(v.get(id), v.get(id))), 1e-5);
    }
  }

  @Test
  void columnErrorsNameTheColumn() {
    Dataset<Row> df = frame(List.of("x"), 1);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> new GteEmbedder().setInputCol("body").transform(df));
    assertTrue(missing.getMessage().contains("'body'") && missing.getMessage().contains("[id, text]"),
        missing.getMessage());
    IllegalArgumentException notString = assertThrows(IllegalArgumentException.class,
        () -> new GteEmbedder().setInputCol("id").transform(df));
    assertTrue(notString.getMessage().contains("bigint") && notString.getMessage().contains("string"),
        notString.getMessage());
  }

  @Test
  void brokenModelDirectoriesFailOnTheDriverWithTheFileNamed() throws Exception {
    Path noTokenizer = Files.createDirectories(scratch.resolve("no-tokenizer"));
    Files.copy(BundledSpec.resolved().files().onnx(), noTokenizer.resolve("model.onnx"));
    Dataset<Row> df = frame(List.of("x"), 1);
    ModelException e1 = assertThrows(ModelException.class,
        () -> new GteEmbedder().setInputCol("text").setModel(noTokenizer.toString()).transform(df));
    assertTrue(e1.getMessage().contains("tokenizer.json"), e1.getMessage());

    Path corrupt = Files.createDirectories(scratch.resolve("corrupt"));
    Files.write(corrupt.resolve("model.onnx"), "this is not an onnx graph".getBytes());
    Files.copy(BundledSpec.resolved().files().tokenizer(), corrupt.resolve("tokenizer.json"));
    ModelException e2 = assertThrows(ModelException.class,
        () -> new GteEmbedder().setInputCol("text").setModel(corrupt.toString()).transform(df));
    assertTrue(e2.getMessage().contains(corrupt.resolve("model.onnx").toString()), e2.getMessage());

    ModelException e3 = assertThrows(ModelException.class,
        () -> new GteEmbedder().setInputCol("text").setModel("gte-base").transform(df));
    assertTrue(e3.getMessage().contains("not bundled") && e3.getMessage().contains("thenlper/gte-base"),
        e3.getMessage());
  }

  @Test
  void modelDirectoryWithProfileMismatchIsRefused() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("gte-base"));
    Files.copy(BundledSpec.resolved().files().onnx(), dir.resolve("model.onnx"));
    Files.copy(BundledSpec.resolved().files().tokenizer(), dir.resolve("tokenizer.json"));
    ModelException e = assertThrows(ModelException.class,
        () -> new GteEmbedder().setInputCol("text").setModel(dir.toString()).transform(frame(List.of("x"), 1)));
    assertTrue(e.getMessage().contains("384") && e.getMessage().contains("768"), e.getMessage());
  }

  @Test
  void oneSessionPerJvmHoweverManyTasks() {
    // A thread count no other test uses gives this test its own session key.
    spark.conf().set(GteConf.INTRA_OP_THREADS, "3");
    try {
      int before = SessionRegistry.sessionsCreated();
      long rows = new GteEmbedder().setInputCol("text").transform(frame(corpus(), 16)).count();
      assertEquals(corpus().size(), rows);
      Map<Long, float[]> again = vectors(new GteEmbedder().setInputCol("text").transform(frame(corpus(), 9)));
      assertEquals(corpus().size(), again.size());
      assertEquals(1, SessionRegistry.sessionsCreated() - before, "sessions created for 25 tasks");
    } finally {
      spark.conf().unset(GteConf.INTRA_OP_THREADS);
    }
  }

  @Test
  void transformerWorksInAPipelineAndSurvivesSaveAndLoad() throws Exception {
    Dataset<Row> df = frame(corpus(), 2);
    GteEmbedder embedder = new GteEmbedder().setInputCol("text").setOutputCol("features").setMaxLength(64)
        .setOutputType("vector");
    KMeans kmeans = new KMeans().setK(3).setSeed(1).setDistanceMeasure("cosine");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {embedder, kmeans}).fit(df);
    assertEquals(3, model.transform(df).select("prediction").distinct().count());
    List<Row> before = model.transform(df).select("id", "prediction").orderBy("id").collectAsList();

    String saved = path("pipeline-model");
    model.write().overwrite().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    List<Row> after = loaded.transform(df).select("id", "prediction").orderBy("id").collectAsList();
    assertEquals(before, after);

    String single = path("embedder");
    embedder.write().overwrite().save(single);
    GteEmbedder back = GteEmbedder.load(single);
    assertEquals(embedder.uid(), back.uid());
    assertEquals("text", back.getInputCol());
    assertEquals("features", back.getOutputCol());
    assertEquals("vector", back.getOutputType());
    assertEquals(64, back.getMaxLength());
    assertEquals("auto", back.getDevice());
  }

  @Test
  void transformerParamsWinOverSessionProperties() {
    spark.conf().set(GteConf.MAX_LENGTH, "16");
    try {
      GteEmbedder fromConf = new GteEmbedder().setInputCol("text");
      GteEmbedder explicit = new GteEmbedder().setInputCol("text").setMaxLength(128);
      String longText = CANDIDATES.get(0) + " " + CANDIDATES.get(1);
      float[] short16 = vectors(fromConf.transform(frame(List.of(longText), 1))).get(0L);
      float[] full = vectors(explicit.transform(frame(List.of(longText), 1))).get(0L);
      assertTrue(VectorMath.cosine(short16, full) < 0.999, "max length 16 must change the vector");
      float[] bare = TextEncoder.forTask(BundledSpec.builder().build()).encodeOne(longText);
      assertTrue(VectorMath.cosine(full, bare) >= 0.99999);
    } finally {
      spark.conf().unset(GteConf.MAX_LENGTH);
    }
  }

  @Test
  void sqlFunctionsMatchTheDataFramePath() {
    GteSqlFunctions.register(spark);
    frame(corpus(), 2).createOrReplaceTempView("docs");
    List<Row> rows = spark.sql("SELECT id, gte_embed(text) AS embedding FROM docs").collectAsList();
    Map<Long, float[]> viaDataFrame = vectors(new GteEmbedder().setInputCol("text").transform(frame(corpus(), 2)));
    for (Row r : rows) {
      double cos = VectorMath.cosine(toFloats(r.getList(1)), viaDataFrame.get(r.getLong(0)));
      assertTrue(cos >= 0.99999, "row " + r.getLong(0) + " cosine " + cos);
    }
    double self = spark.sql("SELECT gte_similarity(gte_embed('" + QUERY + "'), gte_embed('" + QUERY + "'))")
        .first().getDouble(0);
    assertEquals(1.0, self, 1e-5);
    assertTrue(spark.sql("SELECT gte_embed(CAST(NULL AS STRING))").first().isNullAt(0));
  }

  @Test
  void modelCardPipelineRanksTheDirectAnswerFirst() {
    EncoderSpec spec = EmbeddingSettings.of(Map.of(GteConf.DEVICE, "cpu")).toLocalSpec(2);
    SentenceComparison result = SentenceComparison.run(spec, List.of(QUERY), CANDIDATES);
    double[] scores = result.scores();
    assertEquals(4, scores.length);
    for (int i = 1; i < scores.length; i++) {
      assertTrue(scores[0] > scores[i], Arrays.toString(scores));
    }
    SentenceComparison sourcesOnly = SentenceComparison.run(spec, CANDIDATES, null);
    assertEquals(3, sourcesOnly.scores().length);
    assertEquals(4, sourcesOnly.sourceVectors().size());
    System.out.println("model card example scores: " + Arrays.toString(scores));
  }
}
