package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine on the real bundled model, without Spark. */
class TextEncoderTest {
  static final List<String> TEXTS = List.of(
      "how long it take to get a master degree",
      "On average, students take about 18 to 24 months to complete a master degree.",
      "On the other hand, some students prefer to go at a slower pace and choose to take",
      "several years to complete their studies.",
      "It can take anywhere from two semesters",
      "Spark runs mapPartitions on every executor.",
      "A cat sat on the mat.",
      "Quantum chromodynamics describes the strong interaction between quarks and gluons, "
          + "mediated by gluons, and is a core part of the Standard Model of particle physics.",
      "ok",
      "Emoji \uD83D\uDE00 and CJK 中文 text, right-to-left עברית too.");

  private static ReferenceEncoder reference;

  @BeforeAll
  static void setUp() throws Exception {
    reference = ReferenceEncoder.forBundled();
  }

  @AfterAll
  static void tearDown() throws Exception {
    reference.close();
  }

  private static TextEncoder encoder(EncoderSpec.Builder b) {
    return TextEncoder.forTask(b.build());
  }

  @Test
  void matchesAnIndependentImplementation() throws Exception {
    float[][] vectors = encoder(BundledSpec.builder()).encode(TEXTS);
    double worst = 1;
    for (int i = 0; i < TEXTS.size(); i++) {
      worst = Math.min(worst, VectorMath.cosine(vectors[i], reference.embed(TEXTS.get(i))));
    }
    assertTrue(worst >= 0.9999, "worst cosine to the reference implementation: " + worst);
  }

  @Test
  void batchedEqualsAloneForEveryText() {
    float[][] batched = encoder(BundledSpec.builder().batchMaxTokens(100_000)).encode(TEXTS);
    TextEncoder single = encoder(BundledSpec.builder().batchMaxTokens(1));
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] alone = single.encodeOne(TEXTS.get(i));
      double cos = VectorMath.cosine(batched[i], alone);
      assertTrue(cos >= 0.99999, "text " + i + " batched vs alone cosine " + cos);
    }
    assertTrue(single.counters().batches() >= TEXTS.size());
  }

  @Test
  void resultsDoNotDependOnOrderOrChunking() {
    List<String> shuffled = new ArrayList<>(TEXTS);
    Collections.shuffle(shuffled, new Random(3));
    TextEncoder e = encoder(BundledSpec.builder().batchMaxTokens(64).batchMaxRows(3));
    float[][] a = e.encode(TEXTS);
    float[][] b = e.encode(shuffled);
    float[][] firstHalf = e.encode(TEXTS.subList(0, 5));
    for (int i = 0; i < TEXTS.size(); i++) {
      int j = shuffled.indexOf(TEXTS.get(i));
      assertTrue(VectorMath.cosine(a[i], b[j]) >= 0.99999);
      if (i < 5) {
        assertTrue(VectorMath.cosine(a[i], firstHalf[i]) >= 0.99999);
      }
    }
  }

  @Test
  void vectorsAreUnitLengthAndOfTheModelsDimension() {
    for (float[] v : encoder(BundledSpec.builder()).encode(TEXTS)) {
      assertEquals(384, v.length);
      assertEquals(1.0, Math.sqrt(VectorMath.dot(v, v)), 1e-5);
    }
  }

  @Test
  void modelCardExampleRanksTheDirectAnswerFirst() {
    float[][] v = encoder(BundledSpec.builder()).encode(TEXTS.subList(0, 5));
    int best = -1;
    double bestScore = -2;
    for (int i = 1; i < 5; i++) {
      double s = VectorMath.dot(v[0], v[i]);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    assertEquals(1, best, "the 18-to-24-months answer must rank first");
  }

  @Test
  void nullsEmptiesAndBadCharactersFollowTheDocumentedRules() {
    StringBuilder huge = new StringBuilder();
    while (huge.length() < 100_000) {
      huge.append("data lake embedding at scale ");
    }
    List<String> inputs = Arrays.asList(
        null, "", "   \t\n ", "\u0000\u0001\u0007", "bad \uD800 surrogate \uDC00", huge.toString(), "ok");
    TextEncoder e = encoder(BundledSpec.builder());
    float[][] v = e.encode(inputs);
    assertEquals(inputs.size(), v.length);
    assertNull(v[0]);
    assertNull(v[1]);
    assertNull(v[2]);
    assertNull(v[3], "control characters only have no tokens: empty");
    assertNotNull(v[4]);
    assertNotNull(v[5]);
    assertNotNull(v[6]);
    EncodeCounters c = e.counters();
    assertEquals(7, c.rows());
    assertEquals(1, c.nulls());
    assertEquals(3, c.empties());
    assertEquals(1, c.truncated());
  }

  @Test
  void emptyTextsCanBeEmbeddedInstead() {
    TextEncoder e = encoder(BundledSpec.builder().emptyText(EmptyTextMode.EMBED));
    float[][] v = e.encode(Arrays.asList("", "  ", null));
    assertNotNull(v[0]);
    assertTrue(VectorMath.cosine(v[0], v[1]) > 0.99999, "all empty texts share one vector");
    assertNull(v[2]);
    assertEquals(2, e.counters().empties());
  }

  @Test
  void truncationKeepsTheFirstMaxLengthTokens() throws Exception {
    StringBuilder sb = new StringBuilder("Embedding engines truncate long documents. ");
    Random rnd = new Random(11);
    String[] words = {"river", "spark", "table", "vector", "cluster", "token", "batch", "lake"};
    while (sb.length() < 20_000) {
      sb.append(words[rnd.nextInt(words.length)]).append(rnd.nextBoolean() ? " " : ", ");
    }
    String text = sb.toString();
    float[] ours = encoder(BundledSpec.builder()).encodeOne(text);
    assertTrue(VectorMath.cosine(ours, reference.embed(text)) >= 0.9999);
  }

  @Test
  void windowModeAveragesWindowsOfLongTexts() {
    String sentence = "Windows split long documents at word boundaries and average their vectors. ";
    String longText = sentence.repeat(60);
    TextEncoder window = encoder(BundledSpec.builder().longText(LongTextMode.WINDOW));
    float[][] v = window.encode(List.of(longText, TEXTS.get(1)));
    assertTrue(window.counters().windows() >= 5, "windows: " + window.counters().windows());
    assertEquals(1, window.counters().truncated());
    assertEquals(1.0, Math.sqrt(VectorMath.dot(v[0], v[0])), 1e-5);
    float[] truncated = encoder(BundledSpec.builder()).encodeOne(TEXTS.get(1));
    assertTrue(VectorMath.cosine(v[1], truncated) >= 0.99999, "short texts are unaffected by window mode");
    assertTrue(VectorMath.cosine(v[0], encoder(BundledSpec.builder()).encodeOne(sentence)) > 0.8);
  }

  @Test
  void identicalTextsInAChunkRunOnce() {
    TextEncoder e = encoder(BundledSpec.builder());
    float[][] v = e.encode(List.of("same text", "same text", "other text", "same text"));
    assertEquals(2, e.counters().encodedTexts());
    assertTrue(v[0] != v[1], "duplicates get their own arrays");
    assertTrue(Arrays.equals(v[0], v[3]));
  }

  @Test
  void oneSessionPerModelDeviceAndThreadsInAJvm() {
    encoder(BundledSpec.builder()).encodeOne("warm");
    int before = SessionRegistry.sessionsCreated();
    for (int i = 0; i < 20; i++) {
      encoder(BundledSpec.builder()).encodeOne("again " + i);
    }
    assertEquals(before, SessionRegistry.sessionsCreated());
  }

  @Test
  void autoFallsBackToCpuWithoutAGpu() {
    org.junit.jupiter.api.Assumptions.assumeFalse(io.gtespark.udf.device.GpuPresence.nvidiaDriverPresent());
    TextEncoder e = encoder(BundledSpec.builder().device(io.gtespark.udf.device.DeviceRequest.AUTO));
    assertEquals("cpu", e.device());
    assertNotNull(e.encodeOne("still works"));
  }

  @Test
  void cudaWithoutAGpuIsAClearError() {
    org.junit.jupiter.api.Assumptions.assumeFalse(io.gtespark.udf.device.GpuPresence.nvidiaDriverPresent());
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> encoder(BundledSpec.builder().device(io.gtespark.udf.device.DeviceRequest.CUDA).threads(3)));
    assertTrue(e.getMessage().contains("spark.gte.device"), e.getMessage());
    assertTrue(!e.getMessage().contains("--"), "the engine names settings, not command-line flags: " + e.getMessage());
  }

  @Test
  void sessionTuningChangesSpeedNotVectors() {
    float[][] tuned = encoder(BundledSpec.builder()
        .tuning(new SessionTuning(1, SessionTuning.OptLevel.BASIC, false, false))).encode(TEXTS);
    float[][] standard = encoder(BundledSpec.builder()).encode(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      assertTrue(VectorMath.cosine(tuned[i], standard[i]) >= 0.9999, "text " + i);
    }
    assertEquals("1t/basic/nomempattern/noarena", new SessionTuning(1, SessionTuning.OptLevel.BASIC, false, false).key());
  }
}
