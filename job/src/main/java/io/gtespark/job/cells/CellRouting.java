package io.gtespark.job.cells;

import io.gtespark.job.search.SearchCache;
import io.gtespark.job.vectors.TileRouting;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/** Routing blocks of unit vectors to their nearest cells, and counting what the cells received. */
final class CellRouting {
  private CellRouting() {}

  /**
   * The blocks with each row's {@code m} nearest cells (nearest first). The cells are cached apart
   * from the vectors (added to {@code cache}) and zipped with their blocks when read: a cached
   * RoutedBlock would make Spark count every cached vector twice and push blocks to disk.
   */
  static JavaRDD<RoutedBlock> routed(JavaRDD<VectorBlock> blocks, Broadcast<VectorBlock> centroids, int m,
      SearchCache cache) {
    return routed(blocks, cache.add(route(blocks, centroids, m).persist(StorageLevel.MEMORY_AND_DISK())), m);
  }

  /** Each block's rows' {@code nprobe} nearest cells, nearest first (row i at {@code i * m}). */
  private static JavaRDD<int[]> route(JavaRDD<VectorBlock> blocks, Broadcast<VectorBlock> centroids, int nprobe) {
    return blocks.mapPartitions(it -> {
      int m = Math.min(nprobe, centroids.value().rows());
      List<int[]> out = new ArrayList<>();
      TileRouting.forEach(it, centroids.value(), m, (block, first, count, nearest, router) -> {
        if (first == 0) {
          out.add(new int[block.rows() * m]);
        }
        int[] cells = out.get(out.size() - 1);
        for (int i = 0; i < count; i++) {
          System.arraycopy(nearest[i], 0, cells, (first + i) * m, m);
        }
      });
      return out.iterator();
    });
  }

  /** The blocks paired with their cached cells ({@code cells} was made from {@code blocks} by {@link #route}). */
  private static JavaRDD<RoutedBlock> routed(JavaRDD<VectorBlock> blocks, JavaRDD<int[]> cells, int m) {
    return blocks.zipPartitions(cells, (b, c) -> {
      List<RoutedBlock> out = new ArrayList<>();
      while (b.hasNext() && c.hasNext()) {
        VectorBlock block = b.next();
        int[] nearest = c.next();
        if (nearest.length != block.rows() * m) {
          throw new IllegalStateException("routed cells of " + nearest.length / m + " rows for a block of "
              + block.rows());
        }
        out.add(new RoutedBlock(block, nearest, m));
      }
      if (b.hasNext() || c.hasNext()) {
        throw new IllegalStateException("routed cells and vector blocks differ in number");
      }
      return out.iterator();
    });
  }

  /**
   * {docs per cell, queries per cell group} of the routed blocks, combined by cell and group on the
   * executors, so the driver receives at most nlist + groups numbers however many partitions there
   * are (a dense array from every task would grow with partitions times cells).
   */
  static long[][] countCells(JavaRDD<RoutedBlock> routed, Broadcast<int[]> cellGroups, int nlist,
      int groups, boolean docs, boolean queries, int reducers) {
    List<Tuple2<Integer, Long>> counted = routed.flatMapToPair(b -> {
      long[][] c = b.counts(nlist, cellGroups.value(), groups, docs, queries);
      List<Tuple2<Integer, Long>> out = new ArrayList<>();
      for (int i = 0; i < c[0].length; i++) {
        if (c[0][i] > 0) {
          out.add(new Tuple2<>(i, c[0][i]));
        }
      }
      for (int g = 0; g < c[1].length; g++) {
        if (c[1][g] > 0) {
          out.add(new Tuple2<>(nlist + g, c[1][g]));
        }
      }
      return out.iterator();
    }).reduceByKey(Long::sum, Math.max(1, reducers)).collect();
    long[][] totals = {new long[nlist], new long[groups]};
    for (Tuple2<Integer, Long> t : counted) {
      if (t._1() < nlist) {
        totals[0][t._1()] = t._2();
      } else {
        totals[1][t._1() - nlist] = t._2();
      }
    }
    return totals;
  }
}
