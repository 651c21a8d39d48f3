package io.gtespark.job.index;

import io.gtespark.job.cells.CellAssignment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * The filter that reads the probed cells of an index's vectors table: their groups, and their
 * numbers as a few ranges, or-ed. Spark pushes ranges down to Parquet, whose row-group statistics
 * on cell (a group file is sorted by cell and cut into row groups of about a cell's rows) then
 * skip every row group holding none of them. A list of values would not do: Spark hands Parquet
 * an IN list of more than {@code spark.sql.parquet.pushdown.inFilterThreshold} (10) values as one
 * range from its least to its greatest value, which the cells of several queries nearly span.
 */
public final class ProbedCellFilter {
  /**
   * Ranges beyond this are merged across their smallest gaps: the filter may then let a few
   * unprobed cells through (a search ignores their rows), but stays a small expression for Spark to
   * plan and for Parquet to test on each row group.
   */
  static final int MAX_RANGES = 64;

  private ProbedCellFilter() {}

  /** The (first, last) cell ranges that cover {@code cells} (distinct, any order), at most {@code maxRanges}. */
  static List<int[]> ranges(int[] cells, int maxRanges) {
    int[] sorted = Arrays.stream(cells).distinct().sorted().toArray();
    List<int[]> ranges = new ArrayList<>();
    for (int c : sorted) {
      int[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
      if (last != null && last[1] == c - 1) {
        last[1] = c;
      } else {
        ranges.add(new int[] {c, c});
      }
    }
    int merges = ranges.size() - Math.max(1, maxRanges);
    if (merges <= 0) {
      return ranges;
    }
    // Closing a gap leaves the other gaps as they were, so closing the narrowest one at a time is
    // closing the `merges` narrowest at once (ties from the left): one sort, not a scan per merge,
    // for the tens of thousands of ranges many queries over a large index can probe.
    int[] gaps = new int[ranges.size() - 1];
    for (int i = 0; i < gaps.length; i++) {
      gaps[i] = ranges.get(i + 1)[0] - ranges.get(i)[1];
    }
    int[] byWidth = gaps.clone();
    Arrays.sort(byWidth);
    int widestClosed = byWidth[merges - 1];
    int closedAtWidest = merges - (int) Arrays.stream(gaps).filter(g -> g < widestClosed).count();
    List<int[]> merged = new ArrayList<>();
    int[] current = ranges.get(0);
    for (int i = 0; i < gaps.length; i++) {
      boolean close = gaps[i] < widestClosed || (gaps[i] == widestClosed && closedAtWidest-- > 0);
      if (close) {
        current[1] = ranges.get(i + 1)[1];
      } else {
        merged.add(current);
        current = ranges.get(i + 1);
      }
    }
    merged.add(current);
    return merged;
  }

  /**
   * The filter that reads the rows of {@code probed} cells from an index's vectors table whose
   * cells are in groups {@code groupOf}: on the partition column, so that Delta lists the probed
   * groups' folders and no other file, and, where it pays, on the cells, so that Parquet skips
   * the row groups of the groups' other cells. It pays while the probed cells are at most half of
   * their groups' cells: past that the reads that skipping breaks up (a thousand queries probing
   * nearly every cell read 1.6 times the table's bytes with it at 100k rows) cost more than the few
   * row groups skipped.
   */
  public static Column of(int[] probed, int[] groupOf) {
    boolean[] groupRead = new boolean[Arrays.stream(groupOf).max().orElse(0) + 1];
    for (int c : probed) {
      groupRead[groupOf[c]] = true;
    }
    long cellsOfGroupsRead = Arrays.stream(groupOf).filter(g -> groupRead[g]).count();
    List<Object> groups = new ArrayList<>();
    for (int g = 0; g < groupRead.length; g++) {
      if (groupRead[g]) {
        groups.add(g);
      }
    }
    Column filter = functions.col(CellAssignment.CELL_GROUP).isin(groups.toArray());
    long distinct = Arrays.stream(probed).distinct().count();
    return distinct * 2 <= cellsOfGroupsRead ? filter.and(of(probed)) : filter;
  }

  /** The filter that keeps the rows of {@code cells} (and, past {@link #MAX_RANGES} ranges, a few more). */
  static Column of(int[] cells) {
    Column cell = functions.col(CellAssignment.CELL);
    Column filter = null;
    for (int[] r : ranges(cells, MAX_RANGES)) {
      Column range = r[0] == r[1] ? cell.equalTo(r[0]) : cell.geq(r[0]).and(cell.leq(r[1]));
      filter = filter == null ? range : filter.or(range);
    }
    return filter == null ? functions.lit(false) : filter;
  }
}
