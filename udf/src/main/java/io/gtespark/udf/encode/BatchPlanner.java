package io.gtespark.udf.encode;

import io.gtespark.udf.SettingException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts sequences into batches by a token budget: sequences sorted by length (longest first),
 * each batch's padded size (rows x its longest member) within {@code maxTokens} and its rows
 * within {@code maxRows}. A sequence longer than the budget runs alone rather than stalling.
 */
public final class BatchPlanner {
  private final int maxTokens;
  private final int maxRows;
  private final boolean sortByLength;

  public BatchPlanner(int maxTokens, int maxRows) {
    this(maxTokens, maxRows, true);
  }

  /**
   * With {@code sortByLength} false, batches keep the input order (still within the budget);
   * that only exists to measure what sorting buys.
   */
  public BatchPlanner(int maxTokens, int maxRows, boolean sortByLength) {
    if (maxTokens < 1 || maxRows < 1) {
      throw new SettingException(
          "Batch limits must be positive (spark.gte.batch.maxTokens=" + maxTokens + ", spark.gte.batch.maxRows=" + maxRows + ").");
    }
    this.maxTokens = maxTokens;
    this.maxRows = maxRows;
    this.sortByLength = sortByLength;
  }

  /** Batches of indices into {@code lengths}; every index appears in exactly one batch. */
  public List<int[]> plan(int[] lengths) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (!sortByLength) {
      return planInOrder(lengths);
    }
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> lengths[i]).reversed());
    List<int[]> batches = new ArrayList<>();
    int start = 0;
    while (start < order.length) {
      // Sorted descending, so the first member is the batch's longest: it sets the padding.
      int longest = Math.max(1, lengths[order[start]]);
      int rows = Math.max(1, Math.min(maxRows, maxTokens / longest));
      int end = Math.min(order.length, start + rows);
      int[] batch = new int[end - start];
      for (int i = start; i < end; i++) {
        batch[i - start] = order[i];
      }
      batches.add(batch);
      start = end;
    }
    return batches;
  }

  private List<int[]> planInOrder(int[] lengths) {
    List<int[]> batches = new ArrayList<>();
    int start = 0;
    while (start < lengths.length) {
      int end = start + 1;
      int longest = Math.max(1, lengths[start]);
      while (end < lengths.length && end - start < maxRows) {
        int next = Math.max(longest, lengths[end]);
        if ((long) next * (end - start + 1) > maxTokens) {
          break;
        }
        longest = next;
        end++;
      }
      int[] batch = new int[end - start];
      for (int i = start; i < end; i++) {
        batch[i - start] = i;
      }
      batches.add(batch);
      start = end;
    }
    return batches;
  }
}
