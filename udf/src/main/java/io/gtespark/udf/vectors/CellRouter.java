package io.gtespark.udf.vectors;

/**
 * Routes unit vectors to their nearest cells (centroids by cosine), a tile of rows per SGEMM: the
 * assignment step of k-means and the coarse quantiser of an inverted-file search. Not
 * thread-safe: one per task.
 */
public final class CellRouter {
  private final VectorBlock centroids;
  private final int cells;
  private float[] scores = new float[0];

  /** {@code centroids}: one unit vector per cell, its id the cell number. */
  public CellRouter(VectorBlock centroids) {
    this.centroids = centroids;
    this.cells = centroids.rows();
  }

  public int cells() {
    return cells;
  }

  /**
   * For each of {@code count} rows of {@code rows} (row-major, from row {@code firstRow}), the
   * {@code m} nearest cells, nearest first, into {@code out[i]} (length m); the scores of the
   * last call stay readable through {@link #score(int, int)}.
   */
  public void nearest(float[] rows, int firstRow, int count, int m, int[][] out) {
    if (cells == 0) {
      throw new IllegalStateException("no cells to route to");
    }
    if (scores.length < count * cells) {
      scores = new float[count * cells];
    }
    centroids.scoreRows(rows, firstRow, count, scores);
    int keep = Math.min(m, cells);
    float[] best = new float[keep];
    for (int i = 0; i < count; i++) {
      int[] cellsOut = out[i];
      int filled = 0;
      int base = i * cells;
      for (int c = 0; c < cells; c++) {
        float s = scores[base + c];
        if (filled == keep && s <= best[keep - 1]) {
          continue;
        }
        int pos = filled < keep ? filled++ : keep - 1;
        while (pos > 0 && best[pos - 1] < s) {
          best[pos] = best[pos - 1];
          cellsOut[pos] = cellsOut[pos - 1];
          pos--;
        }
        best[pos] = s;
        cellsOut[pos] = c;
      }
    }
  }

  /** The score of row {@code i} of the last {@link #nearest} call against cell {@code cell}. */
  public float score(int i, int cell) {
    return scores[i * cells + cell];
  }
}
