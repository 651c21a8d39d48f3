package io.gtespark.job.vectors;

import io.gtespark.udf.vectors.CellRouter;
import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.util.Iterator;

/**
 * The one loop that routes cached blocks of unit vectors to their nearest cells: a tile of rows
 * per SGEMM ({@link CellRouter}), each tile then handed to the caller (k-means sums, cluster
 * statistics, the silhouette, assignments, IVF routing).
 */
public final class TileRouting {
  /** Rows routed per matrix product. */
  public static final int TILE = 256;

  private TileRouting() {}

  /** What a caller does with one routed tile. */
  public interface Tile {
    /**
     * Rows {@code first .. first + count - 1} of {@code block} were routed: row {@code first + i}'s
     * nearest cells are {@code nearest[i]}, nearest first, and {@code router.score(i, cell)} its scores.
     */
    void accept(VectorBlock block, int first, int count, int[][] nearest, CellRouter router);
  }

  /** Routes every row of {@code blocks} to its {@code m} nearest of {@code centroids} (fewer if there are fewer). */
  public static void forEach(Iterator<VectorBlock> blocks, VectorBlock centroids, int m, Tile tile) {
    CellRouter router = new CellRouter(centroids);
    int dim = centroids.dim();
    int[][] nearest = new int[TILE][Math.min(m, router.cells())];
    while (blocks.hasNext()) {
      VectorBlock block = blocks.next();
      if (block.rows() > 0 && block.dim() != dim) {
        throw VectorRows.dimensionMismatch(block.dim(), dim);
      }
      for (int first = 0; first < block.rows(); first += TILE) {
        int count = Math.min(TILE, block.rows() - first);
        router.nearest(block.values(), first, count, m, nearest);
        tile.accept(block, first, count, nearest, router);
      }
    }
  }
}
