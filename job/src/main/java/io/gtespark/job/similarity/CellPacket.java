package io.gtespark.job.similarity;

import java.io.Serializable;
import io.gtespark.job.vectors.FloatBytes;
import java.nio.FloatBuffer;

/**
 * Rows bound for one IVF unit from one input block, shuffled as a few flat arrays: their ids,
 * their unit vectors as one row-major matrix, and their cells (a corpus row's own cell, or the
 * cells a query probes within the unit's group). Thousands of rows cross the shuffle as one
 * record, the floats as one byte array ({@link FloatBytes}) and long ids as one long array, so
 * serialising a packet costs about what copying it costs (Java serialization keeps a handle for
 * every boxed id).
 */
final class CellPacket implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The ids when every one is a Long, else null. */
  private final long[] longIds;
  /** The ids otherwise. */
  private final Object[] objectIds;
  private final byte[] vectorBytes;
  private transient float[] vectors;
  final int dim;
  /** Row i's cells are {@code cells[cellStart[i]] .. cells[cellStart[i + 1] - 1]}. */
  final int[] cellStart;
  final int[] cells;

  private CellPacket(long[] longIds, Object[] objectIds, byte[] vectorBytes, int dim, int[] cellStart, int[] cells) {
    this.longIds = longIds;
    this.objectIds = objectIds;
    this.vectorBytes = vectorBytes;
    this.dim = dim;
    this.cellStart = cellStart;
    this.cells = cells;
  }

  int rows() {
    return cellStart.length - 1;
  }

  /** The id of row {@code i}. */
  Object id(int i) {
    return longIds != null ? (Object) longIds[i] : objectIds[i];
  }

  /** The unit vectors, row-major (decoded once). */
  float[] vectors() {
    if (vectors == null) {
      vectors = FloatBytes.decode(vectorBytes);
    }
    return vectors;
  }

  /**
   * Collects the rows of one packet into arrays of their final size: the caller says how many rows
   * and cells will come, so a packet is allocated once instead of grown by copies.
   */
  static final class Builder {
    private final int dim;
    private final Object[] ids;
    private boolean allLong = true;
    private final byte[] bytes;
    private final FloatBuffer floats;
    private final int[] cellStart;
    private final int[] cells;
    private int rows;
    private int cellCount;

    Builder(int dim, int rows, int cells) {
      this.dim = dim;
      this.ids = new Object[rows];
      this.bytes = new byte[rows * dim * Float.BYTES];
      this.floats = FloatBytes.writer(bytes);
      this.cellStart = new int[rows + 1];
      this.cells = new int[cells];
    }

    /** Adds row {@code row} of {@code values} (row-major at this dimension) with {@code n} cells from {@code from}. */
    void add(Object id, float[] values, int row, int[] cellSource, int from, int n) {
      floats.put(values, row * dim, dim);
      System.arraycopy(cellSource, from, cells, cellCount, n);
      cellCount += n;
      ids[rows] = id;
      allLong &= id instanceof Long;
      rows++;
      cellStart[rows] = cellCount;
    }

    CellPacket build() {
      if (rows != ids.length || cellCount != cells.length) {
        throw new IllegalStateException("a packet sized for " + ids.length + " rows and " + cells.length
            + " cells got " + rows + " and " + cellCount);
      }
      long[] longIds = null;
      if (allLong) {
        longIds = new long[rows];
        for (int i = 0; i < rows; i++) {
          longIds[i] = (Long) ids[i];
        }
      }
      return new CellPacket(longIds, allLong ? null : ids, bytes, dim, cellStart, cells);
    }
  }
}
