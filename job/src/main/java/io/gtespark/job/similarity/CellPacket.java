package io.gtespark.job.similarity;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows bound for one IVF unit from one input block, shuffled as a few flat arrays: their ids,
 * their unit vectors as one row-major matrix, and their cells (a corpus row's own cell, or the
 * cells a query probes within the unit's group). Thousands of rows cross the shuffle as one
 * record, so serialising them costs about what copying their floats costs.
 */
final class CellPacket implements Serializable {
  private static final long serialVersionUID = 1L;
  final Object[] ids;
  final float[] vectors;
  final int dim;
  /** Row i's cells are {@code cells[cellStart[i]] .. cells[cellStart[i + 1] - 1]}. */
  final int[] cellStart;
  final int[] cells;

  private CellPacket(Object[] ids, float[] vectors, int dim, int[] cellStart, int[] cells) {
    this.ids = ids;
    this.vectors = vectors;
    this.dim = dim;
    this.cellStart = cellStart;
    this.cells = cells;
  }

  int rows() {
    return ids.length;
  }

  /** Collects the rows of one packet. */
  static final class Builder {
    private final int dim;
    private final List<Object> ids = new ArrayList<>();
    private float[] vectors;
    private int[] cellStart = new int[17];
    private int[] cells = new int[16];
    private int cellCount;

    Builder(int dim) {
      this.dim = dim;
      this.vectors = new float[16 * dim];
    }

    /** Adds row {@code row} of {@code values} (row-major at this dimension) with {@code n} cells from {@code from}. */
    void add(Object id, float[] values, int row, int[] cellSource, int from, int n) {
      int i = ids.size();
      if ((i + 1) * dim > vectors.length) {
        vectors = Arrays.copyOf(vectors, 2 * vectors.length);
      }
      System.arraycopy(values, row * dim, vectors, i * dim, dim);
      if (cellCount + n > cells.length) {
        cells = Arrays.copyOf(cells, Math.max(2 * cells.length, cellCount + n));
      }
      System.arraycopy(cellSource, from, cells, cellCount, n);
      cellCount += n;
      if (i + 2 > cellStart.length) {
        cellStart = Arrays.copyOf(cellStart, 2 * cellStart.length);
      }
      cellStart[i + 1] = cellCount;
      ids.add(id);
    }

    CellPacket build() {
      int n = ids.size();
      return new CellPacket(ids.toArray(), Arrays.copyOf(vectors, n * dim), dim, Arrays.copyOf(cellStart, n + 1),
          Arrays.copyOf(cells, cellCount));
    }
  }
}
