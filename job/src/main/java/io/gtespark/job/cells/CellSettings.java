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
  /**
   * Past 4,096 cells (about a million rows) an index's default probes grow as twice the square
   * root of its cells, where nlist/32 and 2 sqrt(nlist) meet: twice pgvector's starting point for
   * IVF probes (sqrt of the lists). A share of the cells would make a query score rows in
   * proportion to the table (31 million of a billion at nlist/32); this grows as rows^(3/4).
   */
  static final int INDEX_PROBES_PER_ROOT = 2;
  /** {@link #probesOfIndex(int, int)}'s automatic count in words, for the options' help. */
  public static final String INDEX_AUTO_PROBES = "the larger of " + DEFAULT_NPROBE + " and the index's nlist/"
      + INDEX_CELLS_PER_PROBE + ", at most " + INDEX_PROBES_PER_ROOT + " x sqrt(nlist)";
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
   * and the smaller of nlist/32 and 2 sqrt(nlist). An index's cells grow with its rows (about 4
   * sqrt(rows)): a fixed count would be an ever smaller share of them, and a fixed share would
   * read an ever larger part of the table a query.
   */
  public int probesOfIndex(int nlist) {
    return probesOfIndex(nprobe, nlist);
  }

  /** {@link #probesOfIndex(int)} for an {@code nprobe} setting (0: auto). */
  public static int probesOfIndex(int nprobe, int nlist) {
    int share = (nlist + INDEX_CELLS_PER_PROBE - 1) / INDEX_CELLS_PER_PROBE;
    int root = (int) Math.ceil(INDEX_PROBES_PER_ROOT * Math.sqrt(nlist));
    int auto = Math.max(DEFAULT_NPROBE, Math.min(share, root));
    return Math.max(1, Math.min(nprobe > 0 ? nprobe : auto, nlist));
  }

  /** Training rows: the setting, else 40 per cell (FAISS asks for at least 39), at least 10,000. */
  public long sampleFor(long rows, int cells) {
    long want = trainSample > 0 ? trainSample : Math.max(40L * cells, 10_000);
    return Math.min(want, rows);
  }
}
