package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class CellsTest {
  /** Eight unit centroids in two tight bunches of four around +x and -x. */
  private static float[][] twoBunches() {
    float[][] c = new float[8][];
    for (int i = 0; i < 8; i++) {
      float side = i < 4 ? 1f : -1f;
      float y = 0.05f * (i % 4);
      float norm = (float) Math.sqrt(1 + y * y);
      c[i] = new float[] {side / norm, y / norm, 0f};
    }
    return c;
  }

  @Test
  void groupingPutsNeighbouringCellsTogether() {
    Cells cells = Cells.grouped(twoBunches(), 2, 7L);
    assertEquals(2, cells.groups());
    int[] g = cells.groupOf();
    for (int i = 1; i < 4; i++) {
      assertEquals(g[0], g[i], "cell " + i + " lies beside cell 0");
      assertEquals(g[4], g[4 + i], "cell " + (4 + i) + " lies beside cell 4");
    }
    assertNotEquals(g[0], g[4]);
    assertArrayEquals(new int[8], Cells.grouped(twoBunches(), 1, 7L).groupOf(), "one group holds every cell");
    assertEquals(8, Cells.grouped(twoBunches(), 100, 7L).groups(), "never more groups than cells");
  }

  @Test
  void groupedCellsAreNumberedGroupByGroupAndKeepEveryCentroid() {
    float[][] bunches = twoBunches();
    // Interleaved: +x, -x, +x, -x, ...: grouping must renumber them into two runs.
    float[][] interleaved = new float[8][];
    for (int i = 0; i < 4; i++) {
      interleaved[2 * i] = bunches[i];
      interleaved[2 * i + 1] = bunches[4 + i];
    }
    Cells cells = Cells.grouped(interleaved, 2, 7L);
    int[] g = cells.groupOf();
    for (int c = 1; c < 8; c++) {
      assertEquals(true, g[c] >= g[c - 1], "cell " + c + "'s group follows cell " + (c - 1) + "'s");
    }
    assertNotEquals(g[0], g[7]);
    for (int c = 0; c < 8; c++) {
      // Trained order kept within a group: the run of +x cells is interleaved[0, 2, 4, 6] in order.
      float[] expected = interleaved[(c % 4) * 2 + (cells.centroids()[0][0] > 0 == c < 4 ? 0 : 1)];
      assertArrayEquals(expected, cells.centroids()[c], "cell " + c);
    }
  }

  @Test
  void theCentroidsTableRoundTripsEveryCellAndGroup() {
    Cells cells = Cells.grouped(twoBunches(), 2, 7L);
    List<Row> rows = new ArrayList<>(cells.tableRows());
    java.util.Collections.reverse(rows); // a table's rows come back in any order
    Cells back = Cells.fromTable(rows, cells.groups());
    assertEquals(8, back.nlist());
    assertEquals(3, back.dimension());
    assertArrayEquals(cells.groupOf(), back.groupOf());
    for (int c = 0; c < 8; c++) {
      assertArrayEquals(cells.centroids()[c], back.centroids()[c]);
    }
    assertEquals(Cells.TABLE_SCHEMA.size(), rows.get(0).size());
  }

  @Test
  void groupsMustCoverEveryCell() {
    assertThrows(IllegalArgumentException.class, () -> new Cells(twoBunches(), new int[3], 1));
  }
}
