package io.gtespark.udf.vectors;

import io.gtespark.udf.encode.VectorMath;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;

/**
 * The one way the search and clustering code reads a vector column: an {@code array<float>} (or
 * array of double) value becomes a unit-length float array, so that an inner product is a cosine
 * whatever the table's {@code normalize} setting was, and mixed dimensions are an error.
 */
public final class VectorRows {
  private VectorRows() {}

  /** The vector in {@code field} of {@code row}, scaled to unit length (a zero vector stays zero). */
  public static float[] unit(Row row, int field) {
    List<Object> list = row.getList(field);
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) list.get(i)).floatValue();
    }
    return unit(v, row.get(0));
  }

  /**
   * {@code v} scaled to unit length in place (a zero vector stays zero) and returned; an error
   * naming row {@code id} when it holds NaN or infinite values.
   */
  public static float[] unit(float[] v, Object id) {
    if (!VectorMath.isFinite(v)) {
      throw new IllegalArgumentException("A vector with NaN or infinite values (id " + id + "): the table "
          + "was written by a broken model; re-embed it.");
    }
    VectorMath.normalize(v);
    return v;
  }

  /** The floats of a Spark array value as a UDF receives it. */
  public static float[] floats(scala.collection.Seq<?> seq) {
    float[] v = new float[seq.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) seq.apply(i)).floatValue();
    }
    return v;
  }

  /** Cosine of two vectors of one dimension (0 when either is zero); a dimension mismatch is an error. */
  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw dimensionMismatch(a.length, b.length);
    }
    return VectorMath.cosine(a, b);
  }

  /** The error for two vectors of different dimension in one search. */
  public static IllegalArgumentException dimensionMismatch(int a, int b) {
    return new IllegalArgumentException("Vectors of dimension " + a + " and " + b + " in one search: every "
        + "table compared must hold vectors of one model.");
  }

  /**
   * Most values one block holds: 4096 vectors of 384 dimensions (6 MiB). Wider vectors make
   * blocks of fewer rows, so a task's memory does not grow with the model's dimension.
   */
  public static final int MAX_BLOCK_VALUES = 4096 * 384;

  /**
   * Streams rows (id in field 0, vector in field 1) as blocks of at most {@code blockRows} unit
   * vectors and at most {@link #MAX_BLOCK_VALUES} values; memory holds one block at a time.
   */
  public static Iterator<VectorBlock> blocks(Iterator<Row> rows, int blockRows) {
    return blocks(rows, blockRows, r -> r.get(0), (r, id) -> unit(r, 1));
  }

  /**
   * As {@link #blocks(Iterator, int)} for rows of any kind: {@code id} reads a row's id and
   * {@code vector} its unit vector (given the id, for errors). Both are called before the
   * iterator moves on, so rows that the source reuses are safe.
   */
  public static <T> Iterator<VectorBlock> blocks(Iterator<T> rows, int blockRows,
      java.util.function.Function<T, Object> id, java.util.function.BiFunction<T, Object, float[]> vector) {
    return new Iterator<VectorBlock>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public VectorBlock next() {
        if (!rows.hasNext()) {
          throw new NoSuchElementException();
        }
        List<Object> ids = new ArrayList<>(Math.min(blockRows, 1024));
        List<float[]> vectors = new ArrayList<>(Math.min(blockRows, 1024));
        int limit = blockRows;
        while (rows.hasNext() && ids.size() < limit) {
          T r = rows.next();
          Object rowId = id.apply(r);
          float[] v = vector.apply(r, rowId);
          ids.add(rowId);
          vectors.add(v);
          if (ids.size() == 1) {
            limit = Math.min(blockRows, Math.max(1, MAX_BLOCK_VALUES / Math.max(1, v.length)));
          }
        }
        return VectorBlock.of(ids, vectors);
      }
    };
  }
}
