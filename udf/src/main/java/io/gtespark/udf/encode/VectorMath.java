package io.gtespark.udf.encode;

/** The few vector operations the engine and its users need, on plain float arrays. */
public final class VectorMath {
  private VectorMath() {}

  /**
   * Scales {@code v} in place to unit length; a zero vector is left as it is. A vector with NaN or
   * infinite values has no direction, so it is refused rather than passed on unchanged.
   */
  public static void normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (!Double.isFinite(sum)) {
      throw new IllegalArgumentException("Cannot normalise a vector with NaN or infinite values.");
    }
    if (sum > 0) {
      float inv = (float) (1.0 / Math.sqrt(sum));
      for (int i = 0; i < v.length; i++) {
        v[i] *= inv;
      }
    }
  }

  /** True when every component is a finite number (no NaN, no infinity). */
  public static boolean isFinite(float[] v) {
    for (float x : v) {
      if (!Float.isFinite(x)) {
        return false;
      }
    }
    return true;
  }

  /** Inner product; equals cosine similarity for normalised vectors. */
  public static double dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("Vectors differ in dimension: " + a.length + " vs " + b.length);
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  /** Cosine similarity, for vectors that may not be normalised. */
  public static double cosine(float[] a, float[] b) {
    double na = Math.sqrt(dot(a, a));
    double nb = Math.sqrt(dot(b, b));
    return na == 0 || nb == 0 ? 0 : dot(a, b) / (na * nb);
  }
}
