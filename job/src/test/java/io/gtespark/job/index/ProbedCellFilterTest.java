package io.gtespark.job.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ProbedCellFilterTest {
  private static String show(List<int[]> ranges) {
    return ranges.stream().map(r -> r[0] + "-" + r[1]).collect(Collectors.joining(" "));
  }

  @Test
  void consecutiveCellsBecomeOneRangeInAnyOrderAndRepeated() {
    assertEquals("3-5 9-9 20-21", show(ProbedCellFilter.ranges(new int[] {21, 4, 9, 3, 5, 20, 4}, 64)));
    assertEquals("", show(ProbedCellFilter.ranges(new int[0], 64)));
  }

  @Test
  void pastTheLimitTheNarrowestGapsCloseFirstAndEveryCellStaysCovered() {
    int[] cells = {0, 2, 10, 11, 30, 31, 33, 100};
    // Gaps: 0|2 (1 missing), 2|10, 11|30, 31|33 (1 missing), 33|100.
    assertEquals("0-2 10-11 30-33 100-100", show(ProbedCellFilter.ranges(cells, 4)));
    assertEquals("0-11 30-33 100-100", show(ProbedCellFilter.ranges(cells, 3)));
    assertEquals("0-100", show(ProbedCellFilter.ranges(cells, 1)));
    for (int max = 1; max <= 8; max++) {
      List<int[]> ranges = ProbedCellFilter.ranges(cells, max);
      assertTrue(ranges.size() <= max);
      for (int c : cells) {
        assertTrue(ranges.stream().anyMatch(r -> r[0] <= c && c <= r[1]), "cell " + c + " covered with " + max);
      }
    }
  }

  @Test
  void tiedGapsCloseFromTheLeftAndManyRangesMergeAtOnce() {
    // Every gap is 2: the first three close.
    assertEquals("0-6 8-8 10-10", show(ProbedCellFilter.ranges(new int[] {0, 2, 4, 6, 8, 10}, 3)));
    // 50,000 scattered cells (every other number, then wider gaps) to 64 ranges: the wide gaps stay.
    int[] cells = new int[50_000];
    for (int i = 0; i < cells.length; i++) {
      cells[i] = 2 * i + (i / 1000) * 100;
    }
    List<int[]> ranges = ProbedCellFilter.ranges(cells, 64);
    assertEquals(64, ranges.size());
    java.util.Set<Integer> ends = ranges.stream().map(r -> r[1]).collect(Collectors.toSet());
    for (int run = 0; run < 49; run++) {
      assertTrue(ends.contains(cells[run * 1000 + 999]), "the gap of 102 after run " + run + " stays open");
    }
    // The 14 ranges left to spend split the last run's narrow gaps, rightmost first.
    assertEquals(cells[49_999], ranges.get(63)[1]);
    assertEquals(cells[49_999], ranges.get(63)[0]);
  }

  @Test
  void cellsAreFilteredOnlyWhileTheyAreAtMostHalfOfTheirGroupsCells() {
    int[] groupOf = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
    // Two of group 0's four cells: filtered by group and cells.
    assertEquals("and(in(cell_group, 0), or(=(cell, 1), =(cell, 3)))",
        ProbedCellFilter.of(new int[] {3, 1}, groupOf).toString());
    // Three of four (repeats count once): the group alone.
    assertEquals("in(cell_group, 0)", ProbedCellFilter.of(new int[] {0, 1, 2, 2}, groupOf).toString());
    // Three cells of groups 1 and 2 (six cells): half, so filtered.
    assertEquals("and(in(cell_group, 1, 2), and(>=(cell, 7), <=(cell, 9)))",
        ProbedCellFilter.of(new int[] {9, 8, 7}, groupOf).toString());
  }

  @Test
  void theFilterIsAnOrOfRangesOnTheCellColumn() {
    String sql = ProbedCellFilter.of(new int[] {7, 3, 4}).toString();
    assertEquals("or(and(>=(cell, 3), <=(cell, 4)), =(cell, 7))", sql);
    assertEquals("false", ProbedCellFilter.of(new int[0]).toString());
  }
}
