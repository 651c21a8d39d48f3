package io.gtespark.job.cells;

import java.io.Serializable;

/** The knobs of one search; nlist or trainSample 0 = derived from the corpus size. */
public final class CellSettings implements Serializable {
  private static final long serialVersionUID = 1L;
  final int nlist;
  final int nprobe;
  final int trainSample;
  final int maxIter;
  final long seed;
  final int blockRows;
  final int unitRows;

  public CellSettings(int nlist, int nprobe, int trainSample, int maxIter, long seed, int blockRows, int unitRows) {
    this.nlist = nlist;
    this.nprobe = nprobe;
    this.trainSample = trainSample;
    this.maxIter = maxIter;
    this.seed = seed;
    this.blockRows = blockRows;
    this.unitRows = unitRows;
  }

  /** Cells for a corpus of {@code rows}: the setting, else about 4 sqrt(rows), within [1, 262144]. */
  public int cellsFor(long rows) {
    long want = nlist > 0 ? nlist : Math.round(4 * Math.sqrt(rows));
    return (int) Math.max(1, Math.min(Math.min(want, 1 << 18), rows));
  }

  /** Training rows: the setting, else 40 per cell (FAISS asks for at least 39), at least 10,000. */
  public long sampleFor(long rows, int cells) {
    long want = trainSample > 0 ? trainSample : Math.max(40L * cells, 10_000);
    return Math.min(want, rows);
  }
}
