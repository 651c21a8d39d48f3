package io.gtespark.job.cells;

import java.io.Serializable;

/** The knobs of one search; nlist, nprobe or trainSample 0 = derived from the corpus size. */
public final class CellSettings implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Cells a query probes by default in cells trained for one search (--approx, dedup). */
  public static final int DEFAULT_NPROBE = 24;
  /**
   * An index's default share of its cells a query probes: 1,000 text queries against the 100k-row
   * index (1,265 cells) had recall@10 0.9295 at 24 probes and 0.9565 at 40, in the same time
   * (docs/benchmarks.md).
   */
  static final int INDEX_CELLS_PER_PROBE = 32;
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

  /** Cells a query probes among {@code nlist} trained for this search: the setting, else 24. */
  public int probesFor(int nlist) {
    return Math.max(1, Math.min(nprobe > 0 ? nprobe : DEFAULT_NPROBE, nlist));
  }

  /**
   * Cells a query probes in an index of {@code nlist} cells: the setting, else the larger of 24
   * and nlist/32. An index's cells grow with its rows (about 4 sqrt(rows)), so a fixed count is
   * an ever smaller share of them; a share keeps the cells read in step with the index.
   */
  public int probesOfIndex(int nlist) {
    return probesOfIndex(nprobe, nlist);
  }

  /** {@link #probesOfIndex(int)} for an {@code nprobe} setting (0: auto). */
  public static int probesOfIndex(int nprobe, int nlist) {
    int auto = Math.max(DEFAULT_NPROBE, (nlist + INDEX_CELLS_PER_PROBE - 1) / INDEX_CELLS_PER_PROBE);
    return Math.max(1, Math.min(nprobe > 0 ? nprobe : auto, nlist));
  }

  /** Training rows: the setting, else 40 per cell (FAISS asks for at least 39), at least 10,000. */
  public long sampleFor(long rows, int cells) {
    long want = trainSample > 0 ? trainSample : Math.max(40L * cells, 10_000);
    return Math.min(want, rows);
  }
}
