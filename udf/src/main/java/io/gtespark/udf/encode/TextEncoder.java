package io.gtespark.udf.encode;

import io.gtespark.udf.SettingException;

import ai.onnxruntime.OrtException;
import io.gtespark.udf.device.DeviceSelector;
import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelFiles;
import io.gtespark.udf.model.PoolingMode;
import io.gtespark.udf.text.TextTokenizer;
import io.gtespark.udf.text.TokenizedText;
import io.gtespark.udf.text.WindowSplitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes chunks of texts into vectors with the JVM's shared session and tokenizer: identical
 * texts once, token-length-sorted batches cut by a token budget, pooling, normalisation, long
 * texts truncated or windowed, and the input order restored. Not thread-safe: one per task.
 */
public final class TextEncoder {
  private final EncoderSpec spec;
  private final TextTokenizer tokenizer;
  private EncoderSession session;
  /** Where a fresh session comes from when the registry freed this one for sitting idle. */
  private final java.util.function.Supplier<EncoderSession> sessions;
  private final PoolingStrategy pooling;
  private final BatchPlanner planner;
  private final int maxContent;
  private final EncodeCounters counters = new EncodeCounters();
  /** Texts this JVM has sent through a model, for tests that prove work is not done twice. */
  private static final java.util.concurrent.atomic.AtomicLong TEXTS_ENCODED_IN_JVM =
      new java.util.concurrent.atomic.AtomicLong();

  private TextEncoder(EncoderSpec spec, TextTokenizer tokenizer, java.util.function.Supplier<EncoderSession> sessions) {
    this.spec = spec;
    this.tokenizer = tokenizer;
    this.sessions = sessions;
    this.session = sessions.get();
    this.pooling = PoolingStrategy.of(spec.identity().pooling());
    this.planner = new BatchPlanner(spec.batchMaxTokens(session.device().isCuda()), spec.batchMaxRows(),
        spec.sortByLength());
    this.maxContent = spec.identity().maxLength() - tokenizer.specialTokenCount();
    if (maxContent < 1) {
      throw new SettingException(
          "spark.gte.maxLength " + spec.identity().maxLength() + " leaves no room for text after the model's "
              + tokenizer.specialTokenCount() + " special tokens; use a max length of at least "
              + (tokenizer.specialTokenCount() + 1) + ".");
    }
    if (session.outputIsPooled() != (spec.identity().pooling() == PoolingMode.GRAPH)) {
      throw new ModelException(
          "The model files on this executor " + (session.outputIsPooled() ? "output pooled" : "output token")
              + " vectors but the job was validated with pooling '" + spec.identity().pooling().id() + "' ("
              + spec.identity().name() + "); the model changed while the job ran. Rerun the job.");
    }
    if (session.dimension() != spec.identity().dimension()) {
      throw new ModelException(
          "The model files on this executor produce " + session.dimension() + "-d vectors but the job was "
              + "validated for " + spec.identity().dimension() + "-d (" + spec.identity().name()
              + "); the model changed while the job ran. Rerun the job.");
    }
  }

  /** An encoder for the current task: the JVM's shared session on the task's device. */
  public static TextEncoder forTask(EncoderSpec spec) {
    ModelFiles files = spec.location().materialize();
    String modelKey = spec.identity().name() + "@" + spec.identity().sha256().substring(0, 12);
    return new TextEncoder(spec, SessionRegistry.tokenizer(files), () -> SessionRegistry.session(modelKey, files,
        spec.device(), DeviceSelector.select(spec.device()), spec.tuning(), spec.gpuConcurrentRuns(),
        spec.sessionIdleSeconds()));
  }

  /**
   * One vector per text, in input order; null for a null text and, unless empty texts are
   * embedded, for a text without tokens. An inference error propagates: it never becomes an
   * empty or zero vector.
   */
  public float[][] encode(List<String> texts) {
    long start = System.nanoTime();
    float[][] result = new float[texts.size()][];
    Map<String, Integer> uniqueIndex = new HashMap<>();
    List<TokenizedText> unique = new ArrayList<>();
    int[] rowToUnique = new int[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      counters.rows++;
      String text = texts.get(i);
      if (text == null) {
        counters.nulls++;
        rowToUnique[i] = -1;
        continue;
      }
      Integer u = uniqueIndex.get(text);
      if (u == null) {
        long t0 = System.nanoTime();
        TokenizedText tokens = tokenize(text);
        counters.tokenizeNanos += System.nanoTime() - t0;
        u = unique.size();
        unique.add(tokens);
        uniqueIndex.put(text, u);
      }
      TokenizedText tokens = unique.get(u);
      if (tokens.isEmpty()) {
        counters.empties++;
        if (spec.emptyText() == EmptyTextMode.NULL) {
          rowToUnique[i] = -1;
          continue;
        }
      }
      if (tokens.truncated() || tokens.contentIds().length > maxContent) {
        counters.truncated++;
      }
      rowToUnique[i] = u;
    }
    float[][] uniqueVectors = encodeUnique(unique, rowToUnique);
    for (int i = 0; i < result.length; i++) {
      int u = rowToUnique[i];
      if (u >= 0) {
        float[] v = uniqueVectors[u];
        // Duplicates get their own copy so that callers may modify one row's vector safely.
        result[i] = v.clone();
      }
    }
    counters.encodeNanos += System.nanoTime() - start;
    return result;
  }

  /** Encodes one text; a convenience for row-at-a-time callers such as the SQL function. */
  public float[] encodeOne(String text) {
    return encode(java.util.Collections.singletonList(text))[0];
  }

  private TokenizedText tokenize(String text) {
    if (text.isBlank()) {
      return tokenizer.tokenizeTruncated("", maxContent);
    }
    return spec.longText() == LongTextMode.WINDOW
        ? tokenizer.tokenize(text)
        : tokenizer.tokenizeTruncated(text, maxContent);
  }

  private float[][] encodeUnique(List<TokenizedText> unique, int[] rowToUnique) {
    boolean[] needed = new boolean[unique.size()];
    for (int u : rowToUnique) {
      if (u >= 0) {
        needed[u] = true;
      }
    }
    // Segments: model inputs with special tokens; a windowed text has several.
    List<long[]> segments = new ArrayList<>();
    List<Integer> segmentOwner = new ArrayList<>();
    List<Integer> segmentWeight = new ArrayList<>();
    for (int u = 0; u < unique.size(); u++) {
      if (!needed[u]) {
        continue;
      }
      counters.encodedTexts++;
      TEXTS_ENCODED_IN_JVM.incrementAndGet();
      TokenizedText t = unique.get(u);
      long[] content = t.contentIds();
      if (content.length <= maxContent) {
        addSegment(segments, segmentOwner, segmentWeight, tokenizer.withSpecialTokens(content, 0, content.length), u,
            Math.max(1, content.length));
      } else {
        List<int[]> windows = WindowSplitter.split(t, maxContent, spec.maxWindows());
        counters.windows += windows.size();
        for (int[] w : windows) {
          addSegment(segments, segmentOwner, segmentWeight, tokenizer.withSpecialTokens(content, w[0], w[1]), u,
              w[1] - w[0]);
        }
      }
    }
    float[][] segmentVectors = runSegments(segments);
    float[][] out = new float[unique.size()][];
    double[] weights = new double[unique.size()];
    int[] segmentCount = new int[unique.size()];
    for (int u : segmentOwner) {
      segmentCount[u]++;
    }
    int dim = session.dimension();
    for (int s = 0; s < segments.size(); s++) {
      int u = segmentOwner.get(s);
      if (segmentCount[u] == 1) {
        out[u] = segmentVectors[s]; // already pooled and normalised
        continue;
      }
      int w = segmentWeight.get(s);
      if (out[u] == null) {
        out[u] = new float[dim];
      }
      float[] v = segmentVectors[s];
      for (int d = 0; d < dim; d++) {
        out[u][d] += w * v[d];
      }
      weights[u] += w;
    }
    for (int u = 0; u < out.length; u++) {
      if (out[u] == null || segmentCount[u] == 1) {
        continue;
      }
      for (int d = 0; d < dim; d++) {
        out[u][d] /= (float) weights[u];
      }
      if (spec.identity().normalize()) {
        VectorMath.normalize(out[u]);
      }
    }
    return out;
  }

  private static void addSegment(
      List<long[]> segments, List<Integer> owner, List<Integer> weight, long[] ids, int u, int w) {
    segments.add(ids);
    owner.add(u);
    weight.add(w);
  }

  private float[][] runSegments(List<long[]> segments) {
    int[] lengths = new int[segments.size()];
    int padTo = spec.padToMaxLength() ? spec.identity().maxLength() : 0;
    for (int i = 0; i < lengths.length; i++) {
      counters.tokens += segments.get(i).length;
      lengths[i] = Math.max(padTo, segments.get(i).length);
    }
    float[][] vectors = new float[segments.size()][];
    for (int[] batch : planner.plan(lengths)) {
      List<long[]> inputs = new ArrayList<>(batch.length);
      int longest = 0;
      for (int i : batch) {
        inputs.add(segments.get(i));
        longest = Math.max(longest, lengths[i]);
      }
      float[][] pooled;
      long t0 = System.nanoTime();
      try {
        pooled = runOnSession(inputs, padTo);
        counters.inferenceNanos += System.nanoTime() - t0;
      } catch (OrtException e) {
        throw new IllegalStateException(
            "ONNX Runtime failed on a batch of " + batch.length + " texts (longest " + longest + " tokens) "
                + "on " + session.device() + ": " + e.getMessage(),
            e);
      }
      counters.batches++;
      if (session.device().isCuda()) {
        counters.gpuBatches++;
      }
      counters.paddedTokens += (long) longest * batch.length;
      for (int j = 0; j < batch.length; j++) {
        float[] v = pooled[j];
        // Checked before normalising, which refuses such a vector without naming the model.
        requireFinite(v, batch.length, longest);
        if (spec.identity().normalize()) {
          VectorMath.normalize(v);
        }
        vectors[batch[j]] = v;
      }
    }
    return vectors;
  }

  private float[][] runOnSession(List<long[]> inputs, int padTo) throws OrtException {
    try {
      return session.run(inputs, pooling, padTo);
    } catch (EncoderSession.Evicted e) {
      session = sessions.get();
      return session.run(inputs, pooling, padTo);
    }
  }

  /**
   * A vector that leaves the engine is finite: NaN or infinity (a broken export, a float16
   * overflow) fails the task, so that no output with such vectors is ever committed.
   */
  private void requireFinite(float[] v, int batchRows, int longest) {
    if (!VectorMath.isFinite(v)) {
      throw new NonFiniteVectorException("Model " + spec.identity().name() + " (sha256 "
          + spec.identity().sha256().substring(0, 12) + ") produced a vector with NaN or infinite values in a batch of "
          + batchRows + " texts (longest " + longest + " tokens) on "
          + session.device() + ". The ONNX export is broken or overflows (float16 exports can); nothing was written. "
          + "Re-export the model (in float32) and rerun.");
    }
  }

  /** Distinct texts run through a model by every encoder of this JVM since it started. */
  public static long textsEncodedInJvm() {
    return TEXTS_ENCODED_IN_JVM.get();
  }

  /** Counts since this encoder was made. */
  public EncodeCounters counters() {
    return counters;
  }

  /** The device the session actually runs on. */
  public String device() {
    return session.device().toString();
  }
}
