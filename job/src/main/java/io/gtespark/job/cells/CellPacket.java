package io.gtespark.job.cells;

import io.gtespark.job.search.IdCodec;
import io.gtespark.job.vectors.FloatBytes;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * Rows bound for one IVF unit from one input block, shuffled as a few flat arrays: their ids,
 * their unit vectors as one row-major matrix, and their cells (a corpus row's own cell, or the
 * cells a query probes within the unit's group). Thousands of rows cross the shuffle as one
 * record in a format of their own ({@link #writeTo}, {@link CellPacketSerializer}): the floats as
 * raw bytes read straight into the matrix, long ids as longs.
 */
final class CellPacket implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final byte LONG_IDS = 0;
  private static final byte OBJECT_IDS = 1;
  /** The ids when every one is a Long, else null. */
  private final long[] longIds;
  /** The ids otherwise. */
  private final Object[] objectIds;
  private final float[] vectors;
  final int dim;
  /** Row i's cells are {@code cells[cellStart[i]] .. cells[cellStart[i + 1] - 1]}. */
  final int[] cellStart;
  final int[] cells;

  private CellPacket(long[] longIds, Object[] objectIds, float[] vectors, int dim, int[] cellStart, int[] cells) {
    this.longIds = longIds;
    this.objectIds = objectIds;
    this.vectors = vectors;
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

  /** The unit vectors, row-major. */
  float[] vectors() {
    return vectors;
  }

  /** Writes this packet to {@code out} ({@code scratch}: a buffer for the floats' bytes). */
  void writeTo(DataOutputStream out, byte[] scratch) throws IOException {
    int rows = rows();
    out.writeInt(rows);
    out.writeInt(dim);
    out.writeInt(cells.length);
    if (longIds != null) {
      out.writeByte(LONG_IDS);
      for (long id : longIds) {
        out.writeLong(id);
      }
    } else {
      out.writeByte(OBJECT_IDS);
      for (Object id : objectIds) {
        IdCodec.write(out, id);
      }
    }
    for (int start : cellStart) {
      out.writeInt(start);
    }
    for (int cell : cells) {
      out.writeInt(cell);
    }
    FloatBytes.write(out, vectors, 0, rows * dim, scratch);
  }

  /** Reads a packet that {@link #writeTo} wrote; {@code loader} resolves the classes of non-long ids. */
  static CellPacket readFrom(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    int rows = in.readInt();
    int dim = in.readInt();
    int cellCount = in.readInt();
    long[] longIds = null;
    Object[] objectIds = null;
    byte kind = in.readByte();
    if (kind == LONG_IDS) {
      longIds = new long[rows];
      for (int i = 0; i < rows; i++) {
        longIds[i] = in.readLong();
      }
    } else if (kind == OBJECT_IDS) {
      objectIds = new Object[rows];
      for (int i = 0; i < rows; i++) {
        objectIds[i] = IdCodec.read(in, loader);
      }
    } else {
      throw new IOException("not an IVF packet (id kind " + kind + ")");
    }
    int[] cellStart = new int[rows + 1];
    for (int i = 0; i <= rows; i++) {
      cellStart[i] = in.readInt();
    }
    int[] cells = new int[cellCount];
    for (int i = 0; i < cellCount; i++) {
      cells[i] = in.readInt();
    }
    float[] vectors = new float[rows * dim];
    FloatBytes.read(in, vectors, scratch);
    return new CellPacket(longIds, objectIds, vectors, dim, cellStart, cells);
  }

  /**
   * Collects the rows of one packet into arrays of their final size: the caller says how many rows
   * and cells will come, so a packet is allocated once instead of grown by copies.
   */
  static final class Builder {
    private final int dim;
    private final Object[] ids;
    private boolean allLong = true;
    private final float[] vectors;
    private final int[] cellStart;
    private final int[] cells;
    private int rows;
    private int cellCount;

    Builder(int dim, int rows, int cells) {
      this.dim = dim;
      this.ids = new Object[rows];
      this.vectors = new float[rows * dim];
      this.cellStart = new int[rows + 1];
      this.cells = new int[cells];
    }

    /** Adds row {@code row} of {@code values} (row-major at this dimension) with {@code n} cells from {@code from}. */
    void add(Object id, float[] values, int row, int[] cellSource, int from, int n) {
      System.arraycopy(values, row * dim, vectors, rows * dim, dim);
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
      return new CellPacket(longIds, allLong ? null : ids, vectors, dim, cellStart, cells);
    }
  }
}
