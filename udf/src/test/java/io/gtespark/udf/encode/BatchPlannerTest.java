package io.gtespark.udf.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {

  @Test
  void everyIndexOnceAndWithinBudget() {
    Random rnd = new Random(7);
    int[] lengths = new int[1000];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = 3 + rnd.nextInt(126);
    }
    BatchPlanner planner = new BatchPlanner(2048, 64);
    List<int[]> batches = planner.plan(lengths);
    boolean[] seen = new boolean[lengths.length];
    for (int[] b : batches) {
      int longest = 0;
      for (int i : b) {
        assertTrue(!seen[i], "index " + i + " planned twice");
        seen[i] = true;
        longest = Math.max(longest, lengths[i]);
      }
      assertTrue(b.length <= 64, "row cap");
      assertTrue((long) longest * b.length <= 2048, "token budget: " + longest + " x " + b.length);
    }
    for (boolean s : seen) {
      assertTrue(s);
    }
  }

  @Test
  void sortedLongestFirstSoPaddingIsSmall() {
    int[] lengths = {5, 100, 6, 99, 7, 98};
    List<int[]> batches = new BatchPlanner(300, 3).plan(lengths);
    assertEquals(2, batches.size());
    for (int i : batches.get(0)) {
      assertTrue(lengths[i] >= 98);
    }
  }

  @Test
  void sequenceLongerThanBudgetRunsAlone() {
    int[] lengths = {600, 10, 10};
    List<int[]> batches = new BatchPlanner(256, 32).plan(lengths);
    assertEquals(1, batches.get(0).length);
    assertEquals(0, batches.get(0)[0]);
    assertEquals(2, batches.get(1).length);
  }

  @Test
  void emptyInputGivesNoBatch() {
    assertEquals(0, new BatchPlanner(10, 10).plan(new int[0]).size());
  }

  @Test
  void rejectsNonPositiveLimits() {
    assertThrows(IllegalArgumentException.class, () -> new BatchPlanner(0, 1));
  }

  @Test
  void unsortedPlanKeepsInputOrderWithinTheBudget() {
    int[] lengths = {5, 100, 6, 99, 7, 98};
    List<int[]> batches = new BatchPlanner(300, 3, false).plan(lengths);
    int next = 0;
    for (int[] b : batches) {
      int longest = 0;
      for (int i : b) {
        assertEquals(next++, i, "input order");
        longest = Math.max(longest, lengths[i]);
      }
      assertTrue(longest * b.length <= 300);
    }
    assertEquals(lengths.length, next);
  }
}
