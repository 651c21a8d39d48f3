package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CellSizesTest {
  @Test
  void evenCellsHaveAnImbalanceOfOne() {
    assertEquals(1.0, CellSizes.of(new long[] {5, 5, 5, 5}).imbalance(), 1e-12);
  }

  @Test
  void imbalanceIsCellsTimesTheSumOfSquaresOverRowsSquared() {
    // 4 cells, 10 rows: 4 * (49 + 1 + 1 + 1) / 100 = 2.08; all rows in one cell gives k.
    assertEquals(2.08, CellSizes.of(new long[] {7, 1, 1, 1}).imbalance(), 1e-12);
    assertEquals(4.0, CellSizes.of(new long[] {10, 0, 0, 0}).imbalance(), 1e-12);
    assertEquals(1.0, CellSizes.of(new long[] {0, 0}).imbalance(), 1e-12);
  }

  @Test
  void figuresGiveTheSmallestMedianLargestAndEmptyCells() {
    Map<String, Object> f = CellSizes.of(new long[] {3, 0, 9, 4, 0}).figures();
    assertEquals(0L, f.get("cellRowsMin"));
    assertEquals(3L, f.get("cellRowsMedian"));
    assertEquals(9L, f.get("cellRowsMax"));
    assertEquals(2L, f.get("emptyCells"));
    assertEquals(16L, CellSizes.of(new long[] {3, 0, 9, 4, 0}).rows());
    assertThrows(IllegalArgumentException.class, () -> CellSizes.of(new long[0]));
  }

  @Test
  void theHistogramCountsCellsByPowerOfTwoSizes() {
    // 0, 0 | 1 | 3, 2 | 4, 7 | 9 | 1024
    assertEquals("0=2,1=1,2-3=2,4-7=2,8-15=1,1024-2047=1",
        CellSizes.of(new long[] {0, 1, 3, 0, 2, 4, 7, 9, 1024}).histogram());
    assertEquals("4-7=4", CellSizes.of(new long[] {5, 5, 5, 5}).histogram());
  }

  @Test
  void aChangeAddsAndRemovesRowsPerCellAndOneThatEmptiesACellPastZeroIsRefused() {
    CellSizes before = CellSizes.of(new long[] {3, 0, 5});
    CellSizes after = before.plus(new long[] {-3, 2, 1});
    assertArrayEquals(new long[] {0, 2, 6}, after.perCell());
    assertEquals(8, after.rows());
    assertArrayEquals(new long[] {3, 0, 5}, before.perCell(), "the sizes before stay as they were");
    assertNull(before.plus(new long[] {0, -1, 0}), "a cell cannot lose a row it does not hold");
    assertThrows(IllegalArgumentException.class, () -> before.plus(new long[] {1, 1}));
  }
}
