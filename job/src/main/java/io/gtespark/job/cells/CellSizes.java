package io.gtespark.job.cells;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How evenly an index's rows fill its cells: the smallest, median and largest cell, the empty
 * ones, and FAISS's imbalance factor k·Σnᵢ²/N² (1 when every cell holds N/k rows; a search
 * scores about that many times the rows an even split would make it score).
 */
public final class CellSizes {
  private final long[] perCell;
  private final long rows;

  private CellSizes(long[] perCell) {
    this.perCell = perCell.clone();
    this.rows = Arrays.stream(perCell).sum();
  }

  /** The sizes of cells 0 .. n-1. */
  public static CellSizes of(long[] perCell) {
    if (perCell.length == 0) {
      throw new IllegalArgumentException("an index has at least one cell");
    }
    return new CellSizes(perCell);
  }

  /** The sizes of the {@code nlist} cells of an index's vectors table, counted by cell on the executors. */
  public static CellSizes of(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> vectors, int nlist) {
    long[] perCell = new long[nlist];
    for (org.apache.spark.sql.Row r : vectors.groupBy(CellAssignment.CELL).count().collectAsList()) {
      perCell[r.getInt(0)] = r.getLong(1);
    }
    return of(perCell);
  }

  /**
   * These sizes with {@code change[c]} rows added to cell c (negative: removed), or null when a cell
   * would hold fewer than none: the change does not belong to these sizes.
   */
  public CellSizes plus(long[] change) {
    if (change.length != perCell.length) {
      throw new IllegalArgumentException(change.length + " changes for " + perCell.length + " cells");
    }
    long[] after = perCell.clone();
    for (int c = 0; c < after.length; c++) {
      after[c] += change[c];
      if (after[c] < 0) {
        return null;
      }
    }
    return new CellSizes(after);
  }

  /** The size of each cell, cell 0 first. */
  public long[] perCell() {
    return perCell.clone();
  }

  /** Rows in all cells. */
  public long rows() {
    return rows;
  }

  /** k·Σnᵢ²/N², or 1 for an empty index. */
  public double imbalance() {
    if (rows == 0) {
      return 1.0;
    }
    double squares = 0;
    for (long n : perCell) {
      squares += (double) n * n;
    }
    return perCell.length * squares / ((double) rows * rows);
  }

  /** The figures an index records, under the names of {@code similarity --approx}'s metrics. */
  public Map<String, Object> figures() {
    long[] sorted = perCell.clone();
    Arrays.sort(sorted);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cellRowsMin", sorted[0]);
    m.put("cellRowsMedian", sorted[sorted.length / 2]);
    m.put("cellRowsMax", sorted[sorted.length - 1]);
    m.put("emptyCells", Arrays.stream(sorted).filter(n -> n == 0).count());
    m.put("imbalance", Math.round(imbalance() * 10_000) / 10_000.0);
    m.put("cellRowsHistogram", histogram());
    return m;
  }

  /**
   * How many cells hold 0, 1, 2-3, 4-7, ... rows (powers of two), as {@code "0=2,1=5,2-3=10"}:
   * the shape of the cell sizes in a few dozen numbers at any nlist, for a status line or a plot.
   * Empty bins are left out.
   */
  public String histogram() {
    java.util.TreeMap<Integer, Long> bins = new java.util.TreeMap<>();
    for (long n : perCell) {
      bins.merge(n == 0 ? -1 : 63 - Long.numberOfLeadingZeros(n), 1L, Long::sum);
    }
    StringBuilder sb = new StringBuilder();
    bins.forEach((bin, cells) -> {
      if (sb.length() > 0) {
        sb.append(',');
      }
      long lo = bin < 0 ? 0 : 1L << bin;
      long hi = bin < 0 ? 0 : (1L << bin) * 2 - 1;
      sb.append(lo == hi ? String.valueOf(lo) : lo + "-" + hi).append('=').append(cells);
    });
    return sb.toString();
  }
}
