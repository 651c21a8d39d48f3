package io.gtespark.job.cells;

import java.util.Arrays;

/**
 * One row's probed cells grouped by cell group, groups in the order of their nearest cell (so a
 * row's own group, that of its nearest cell, comes first) and cells nearest first within each.
 * Reused from row to row.
 */
final class ProbedGroups {
  final int[] group;
  final int[] start;
  final int[] cells;
  int groups;
  private final boolean[] taken;

  ProbedGroups(int m) {
    group = new int[m];
    start = new int[m + 1];
    cells = new int[m];
    taken = new boolean[m];
  }

  /** Groups the {@code m} cells at {@code source[from..]}. */
  ProbedGroups of(int[] source, int from, int[] groupOf) {
    int m = cells.length;
    Arrays.fill(taken, false);
    groups = 0;
    int n = 0;
    for (int j = 0; j < m; j++) {
      if (taken[j]) {
        continue;
      }
      int g = groupOf[source[from + j]];
      group[groups] = g;
      start[groups] = n;
      for (int l = j; l < m; l++) {
        if (!taken[l] && groupOf[source[from + l]] == g) {
          cells[n++] = source[from + l];
          taken[l] = true;
        }
      }
      groups++;
    }
    start[groups] = n;
    return this;
  }

  /** Cells in group {@code j}. */
  int count(int j) {
    return start[j + 1] - start[j];
  }
}
