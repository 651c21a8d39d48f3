package io.gtespark.udf.encode;

import io.gtespark.udf.model.PoolingMode;
import java.nio.FloatBuffer;

/**
 * Turns a batch of token vectors {@code [rows, seqLen, hidden]} into one vector per row, reading
 * the attention mask so that padding never contributes.
 */
public interface PoolingStrategy {

  /** Pools row {@code row} of {@code hidden} into {@code out} (length {@code dim}). */
  void pool(FloatBuffer hidden, long[] mask, int row, int seqLen, int dim, float[] out);

  /** The strategy for a pooling mode. */
  static PoolingStrategy of(PoolingMode mode) {
    switch (mode) {
      case CLS:
        return PoolingStrategy::cls;
      case MEAN:
        return PoolingStrategy::maskedMean;
      default:
        return PoolingStrategy::graphPooled;
    }
  }

  /** The graph pooled already; reaching this means a token-vector output met 'graph' pooling. */
  static void graphPooled(FloatBuffer hidden, long[] mask, int row, int seqLen, int dim, float[] out) {
    throw new IllegalStateException("pooling 'graph' was applied to token vectors; the model was validated as "
        + "one that outputs pooled vectors");
  }

  /** The first token's vector (BERT's [CLS]). */
  static void cls(FloatBuffer hidden, long[] mask, int row, int seqLen, int dim, float[] out) {
    hidden.get(row * seqLen * dim, out, 0, dim);
  }

  /** Mean of the token vectors whose mask is 1, divided by max(mask sum, 1e-9). */
  static void maskedMean(FloatBuffer hidden, long[] mask, int row, int seqLen, int dim, float[] out) {
    double[] acc = new double[dim];
    double count = 0;
    int base = row * seqLen;
    for (int t = 0; t < seqLen; t++) {
      long m = mask[base + t];
      if (m == 0) {
        continue;
      }
      count += m;
      int off = (base + t) * dim;
      for (int d = 0; d < dim; d++) {
        acc[d] += m * hidden.get(off + d);
      }
    }
    double div = Math.max(count, 1e-9);
    for (int d = 0; d < dim; d++) {
      out[d] = (float) (acc[d] / div);
    }
  }
}
