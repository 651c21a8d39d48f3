package io.gtespark.job.cells;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Cells trained before a search and kept with their rows (an index in the lake): what
 * {@link CellSearch#topKInCells} needs to route queries and read only the rows of the cells they
 * probe. Rows are (id, vector) under {@code VectorTable}'s column names.
 */
public interface StoredCells {
  /** The cells and their groups, as a search that trains its own has them. */
  Cells cells();

  /**
   * The (id, vector) rows of these cells, read lazily; a reader may let through rows of other
   * cells (of the same files), which a search ignores.
   */
  Dataset<Row> rowsOfCells(int[] cells);

  /** The (id, cell, unit vector) rows of these cells, read lazily, as {@link #rowsOfCells} reads them. */
  Dataset<Row> cellRowsOfCells(int[] cells);

  /** Every (id, vector) row, read lazily. */
  Dataset<Row> allRows();

  /** How many rows there are. */
  long rows();
}
