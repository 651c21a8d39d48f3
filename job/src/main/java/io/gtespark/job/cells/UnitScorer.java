package io.gtespark.job.cells;

import dev.ludovic.netlib.blas.BLAS;
import io.gtespark.udf.vectors.BlockScorer;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import scala.Tuple2;

/**
 * Scores one IVF unit: its corpus rows are ordered by cell into one matrix ({@link #prepare}),
 * then its queries arrive packet by packet and for every cell the packet's queries that probe it
 * are gathered a tile at a time and multiplied with the cell's rows in one SGEMM. Each score goes to the query's bounded top-K, and in a self search to the corpus
 * row's as well (every corpus row is a query too). Not thread-safe: one per task.
 */
final class UnitScorer {
  private static final int TILE = 256;
  private final int k;
  private final boolean excludeSelf;
  private final double minScore;
  private final boolean self;
  private float[] scores = new float[0];
  private float[] tile = new float[0];
  private long pairs;

  UnitScorer(int k, boolean excludeSelf, double minScore, boolean self) {
    this.k = k;
    this.excludeSelf = excludeSelf;
    this.minScore = minScore;
    this.self = self;
  }

  /** Pairs scored so far. */
  long pairs() {
    return pairs;
  }

  /** A unit's corpus rows ordered by cell into one matrix, with the heaps of a self search's rows. */
  static final class Docs {
    final int dim;
    final int rows;
    final float[] vectors;
    final Object[] ids;
    final int[] cellIds;
    final int[] cellBegin;
    final int cellCount;
    final TopKHeap[] heaps;
    /** Each row's {@link TopKHeap#floor} (a self search), kept by {@link BlockScorer#offerRow}. */
    final double[] floors;
    /** Row {@code a} of the packets as they arrived (packet by packet) is row {@code position[a]} here. */
    final int[] position;

    private Docs(int dim, int rows, float[] vectors, Object[] ids, int[] cellIds, int[] cellBegin, int cellCount,
        int[] position, boolean self, int k) {
      this.dim = dim;
      this.rows = rows;
      this.vectors = vectors;
      this.ids = ids;
      this.cellIds = cellIds;
      this.cellBegin = cellBegin;
      this.cellCount = cellCount;
      this.position = position;
      this.heaps = self ? new TopKHeap[rows] : null;
      if (self) {
        for (int j = 0; j < rows; j++) {
          heaps[j] = new TopKHeap(k);
        }
      }
      this.floors = self ? BlockScorer.floors(heaps, rows) : null;
    }
  }

  /** Orders a unit's corpus packets by cell (sort keys: cell in the high bits, arrival index in the low). */
  Docs prepare(List<CellPacket> docPackets) {
    int nd = rows(docPackets);
    if (nd == 0) {
      return null;
    }
    int dim = docPackets.get(0).dim;
    long[] keys = new long[nd];
    int[] packetOf = new int[nd];
    int[] rowOf = new int[nd];
    int at = 0;
    for (int p = 0; p < docPackets.size(); p++) {
      CellPacket packet = docPackets.get(p);
      for (int r = 0; r < packet.rows(); r++) {
        keys[at] = ((long) packet.cells[packet.cellStart[r]] << 32) | at;
        packetOf[at] = p;
        rowOf[at] = r;
        at++;
      }
    }
    Arrays.sort(keys);
    float[] docVectors = new float[nd * dim];
    Object[] docIds = new Object[nd];
    int[] cellIds = new int[nd];
    int[] cellBegin = new int[nd + 1];
    int[] position = new int[nd];
    int cellCount = 0;
    for (int j = 0; j < nd; j++) {
      int source = (int) keys[j];
      position[source] = j;
      int cell = (int) (keys[j] >>> 32);
      CellPacket packet = docPackets.get(packetOf[source]);
      System.arraycopy(packet.vectors(), rowOf[source] * dim, docVectors, j * dim, dim);
      docIds[j] = packet.id(rowOf[source]);
      if (cellCount == 0 || cellIds[cellCount - 1] != cell) {
        cellIds[cellCount] = cell;
        cellBegin[cellCount] = j;
        cellCount++;
      }
    }
    cellBegin[cellCount] = nd;
    return new Docs(dim, nd, docVectors, docIds, cellIds, cellBegin, cellCount, position, self, k);
  }

  /**
   * Scores one packet of queries against a unit's corpus rows: for every cell, the packet's
   * queries that probe it, a tile at a time. Returns the queries' partial top-K lists; a self
   * search's corpus rows collect theirs in {@code docs} until {@link #docLists}.
   */
  List<Tuple2<Object, TopKHeap>> score(Docs docs, CellPacket queries) {
    return score(docs, queries, -1);
  }

  /**
   * Scores one of the unit's own corpus packets (a self search) as the queries its rows also are,
   * the packet's rows starting at arrival index {@code firstRow} of {@link #prepare}: each row's
   * query list is its corpus list in {@code docs}, so the unit hands on one list per row, at
   * {@link #docLists}.
   */
  void scoreOwn(Docs docs, CellPacket packet, int firstRow) {
    if (docs != null && docs.heaps == null) {
      throw new IllegalStateException("a unit's own packets are scored as queries only in a self search");
    }
    score(docs, packet, firstRow);
  }

  private List<Tuple2<Object, TopKHeap>> score(Docs docs, CellPacket queries, int ownFrom) {
    int nq = queries.rows();
    if (docs == null || nq == 0) {
      return List.of();
    }
    int dim = docs.dim;
    if (queries.dim != dim) {
      throw VectorRows.dimensionMismatch(queries.dim, dim);
    }
    int cellCount = docs.cellCount;
    // For every cell of the unit, the queries that probe it (compressed rows: cell -> queries).
    int[] probes = new int[cellCount + 1];
    int[] cellIndex = new int[queries.cells.length];
    for (int c = 0; c < queries.cells.length; c++) {
      int ci = Arrays.binarySearch(docs.cellIds, 0, cellCount, queries.cells[c]);
      cellIndex[c] = ci;
      if (ci >= 0) {
        probes[ci + 1]++;
      }
    }
    for (int ci = 0; ci < cellCount; ci++) {
      probes[ci + 1] += probes[ci];
    }
    int[] probing = new int[probes[cellCount]];
    int[] fill = Arrays.copyOf(probes, cellCount);
    for (int q = 0; q < nq; q++) {
      for (int c = queries.cellStart[q]; c < queries.cellStart[q + 1]; c++) {
        if (cellIndex[c] >= 0) {
          probing[fill[cellIndex[c]]++] = q;
        }
      }
    }
    TopKHeap[] queryHeaps = new TopKHeap[nq];
    if (ownFrom >= 0) {
      for (int q = 0; q < nq; q++) {
        queryHeaps[q] = docs.heaps[docs.position[ownFrom + q]];
      }
    }
    // Boxed once per packet, not once per cell a query probes.
    Object[] queryIds = new Object[nq];
    for (int q = 0; q < nq; q++) {
      queryIds[q] = queries.id(q);
    }
    float[] queryVectors = queries.vectors();
    if (tile.length < TILE * dim) {
      tile = new float[TILE * dim];
    }
    for (int ci = 0; ci < cellCount; ci++) {
      int first = docs.cellBegin[ci];
      int cellRows = docs.cellBegin[ci + 1] - first;
      for (int from = probes[ci]; from < probes[ci + 1]; from += TILE) {
        int count = Math.min(TILE, probes[ci + 1] - from);
        for (int t = 0; t < count; t++) {
          System.arraycopy(queryVectors, probing[from + t] * dim, tile, t * dim, dim);
        }
        if (scores.length < count * cellRows) {
          scores = new float[Math.max(count * cellRows, 2 * scores.length)];
        }
        // Column-major view, as in VectorBlock.scoreRows: scores (cellRows x count) = cell^T * tile.
        BLAS.getInstance().sgemm("T", "N", cellRows, count, dim, 1f, docs.vectors, first * dim, dim, tile, 0, dim,
            0f, scores, 0, cellRows);
        pairs += (long) count * cellRows;
        for (int t = 0; t < count; t++) {
          int q = probing[from + t];
          TopKHeap heap = queryHeaps[q];
          if (heap == null) {
            heap = queryHeaps[q] = new TopKHeap(k);
          }
          BlockScorer.offerRow(scores, t * cellRows, cellRows, heap, queryIds[q], docs.ids, first, docs.heaps,
              docs.floors, minScore, excludeSelf);
          if (ownFrom >= 0) {
            docs.floors[docs.position[ownFrom + q]] = heap.floor();
          }
        }
      }
    }
    if (ownFrom >= 0) {
      return List.of();
    }
    List<Tuple2<Object, TopKHeap>> out = new ArrayList<>();
    for (int q = 0; q < nq; q++) {
      if (queryHeaps[q] != null && !queryHeaps[q].isEmpty()) {
        out.add(new Tuple2<>(queryIds[q], queryHeaps[q]));
      }
    }
    return out;
  }

  /** A self search's partial top-K lists of the unit's corpus rows, once all its queries are scored. */
  static List<Tuple2<Object, TopKHeap>> docLists(Docs docs) {
    List<Tuple2<Object, TopKHeap>> out = new ArrayList<>();
    if (docs != null && docs.heaps != null) {
      for (int j = 0; j < docs.rows; j++) {
        if (docs.heaps[j] != null && !docs.heaps[j].isEmpty()) {
          out.add(new Tuple2<>(docs.ids[j], docs.heaps[j]));
        }
      }
    }
    return out;
  }

  private static int rows(List<CellPacket> packets) {
    int n = 0;
    for (CellPacket p : packets) {
      n += p.rows();
    }
    return n;
  }
}
