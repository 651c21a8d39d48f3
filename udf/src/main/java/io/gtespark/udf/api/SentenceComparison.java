package io.gtespark.udf.api;

import io.gtespark.udf.SettingException;

import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The model card's pipeline semantics in one call: given source sentences and optional
 * sentences to compare, every text's vector, and the inner-product score of the first source
 * against each sentence to compare (or, with none, against the other sources).
 */
public final class SentenceComparison {
  private final List<float[]> sourceVectors;
  private final List<float[]> comparedVectors;
  private final double[] scores;

  private SentenceComparison(List<float[]> sourceVectors, List<float[]> comparedVectors, double[] scores) {
    this.sourceVectors = sourceVectors;
    this.comparedVectors = comparedVectors;
    this.scores = scores;
  }

  /** Runs the comparison in this JVM with a resolved model. */
  public static SentenceComparison run(EncoderSpec spec, List<String> sources, List<String> toCompare) {
    if (sources == null || sources.isEmpty()) {
      throw new SettingException("At least one source sentence is needed.");
    }
    List<String> compare = toCompare == null ? Collections.emptyList() : toCompare;
    List<String> all = new ArrayList<>(sources);
    all.addAll(compare);
    float[][] vectors = TextEncoder.forTask(spec).encode(all);
    List<float[]> src = new ArrayList<>();
    List<float[]> cmp = new ArrayList<>();
    for (int i = 0; i < vectors.length; i++) {
      (i < sources.size() ? src : cmp).add(vectors[i]);
    }
    List<float[]> against = compare.isEmpty() ? src.subList(1, src.size()) : cmp;
    double[] scores = new double[against.size()];
    float[] first = src.get(0);
    for (int i = 0; i < scores.length; i++) {
      scores[i] = first == null || against.get(i) == null ? Double.NaN : VectorMath.dot(first, against.get(i));
    }
    return new SentenceComparison(src, cmp, scores);
  }

  /** Vectors of the source sentences, in order (null for a null or empty text). */
  public List<float[]> sourceVectors() {
    return sourceVectors;
  }

  /** Vectors of the sentences to compare, in order. */
  public List<float[]> comparedVectors() {
    return comparedVectors;
  }

  /** Scores of the first source against each compared sentence, or against the other sources. */
  public double[] scores() {
    return scores.clone();
  }
}
