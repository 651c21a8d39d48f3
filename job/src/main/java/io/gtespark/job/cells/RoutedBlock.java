package io.gtespark.job.cells;

import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scala.Tuple2;

/** A block of unit vectors with each row's {@code m} nearest cells, nearest first. */
final class RoutedBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  final VectorBlock block;
  /** Row i's cells are {@code cells[i * m] .. cells[i * m + m - 1]}. */
  final int[] cells;
  final int m;

  RoutedBlock(VectorBlock block, int[] cells, int m) {
    this.block = block;
    this.cells = cells;
    this.m = m;
  }

  /** Corpus rows per cell (from each row's nearest cell) and queries per cell group, as asked. */
  long[][] counts(int nlist, int[] groupOf, int groups, boolean docs, boolean queries) {
    long[] perCell = new long[docs ? nlist : 0];
    long[] perGroup = new long[queries ? groups : 0];
    ProbedGroups probed = new ProbedGroups(m);
    for (int i = 0; i < block.rows(); i++) {
      if (docs) {
        perCell[cells[i * m]]++;
      }
      if (queries) {
        probed.of(cells, i * m, groupOf);
        for (int j = 0; j < probed.groups; j++) {
          perGroup[probed.group[j]]++;
        }
      }
    }
    return new long[][] {perCell, perGroup};
  }

  /**
   * This block's corpus rows as packets, one per unit (their cell's group and their chunk of it).
   * A row's first cell is its own; in a self search the cells it probes in that group follow.
   */
  List<Tuple2<Long, CellPacket>> docPackets(int[] groupOf, int[] docChunks, boolean self) {
    long[] keys = new long[block.rows()];
    int[] cellCount = new int[block.rows()];
    ProbedGroups probed = new ProbedGroups(m);
    Map<Long, int[]> sizes = new LinkedHashMap<>(); // key -> {rows, cells}
    for (int i = 0; i < block.rows(); i++) {
      int g = groupOf[cells[i * m]];
      keys[i] = UnitKeys.packetKey(UnitKeys.unit(g, UnitKeys.chunkOf(block.id(i), g, docChunks[g])), false);
      cellCount[i] = self ? probed.of(cells, i * m, groupOf).count(0) : 1;
      int[] size = sizes.computeIfAbsent(keys[i], x -> new int[2]);
      size[0]++;
      size[1] += cellCount[i];
    }
    Map<Long, CellPacket.Builder> open = builders(sizes);
    for (int i = 0; i < block.rows(); i++) {
      if (self) {
        probed.of(cells, i * m, groupOf);
        open.get(keys[i]).add(block.id(i), block.values(), i, probed.cells, 0, cellCount[i]);
      } else {
        open.get(keys[i]).add(block.id(i), block.values(), i, cells, i * m, 1);
      }
    }
    return built(open);
  }

  /**
   * This block's queries as packets: per group they probe, its doc chunks, with the cells probed
   * there. In a self search a row's own chunk of its own group has it already (its corpus packet).
   */
  List<Tuple2<Long, CellPacket>> queryPackets(int[] groupOf, int[] docChunks, boolean self) {
    // Two passes over the rows: the first sizes each packet, the second fills it.
    Map<Long, int[]> sizes = new LinkedHashMap<>();
    Map<Long, CellPacket.Builder> open = null;
    ProbedGroups probed = new ProbedGroups(m);
    for (int pass = 0; pass < 2; pass++) {
      if (pass == 1) {
        open = builders(sizes);
      }
      for (int i = 0; i < block.rows(); i++) {
        probed.of(cells, i * m, groupOf);
        int ownGroup = groupOf[cells[i * m]];
        int ownChunk = self ? UnitKeys.chunkOf(block.id(i), ownGroup, docChunks[ownGroup]) : -1;
        for (int j = 0; j < probed.groups; j++) {
          int g = probed.group[j];
          for (int d = 0; d < docChunks[g]; d++) {
            if (self && g == ownGroup && d == ownChunk) {
              continue;
            }
            long key = UnitKeys.packetKey(UnitKeys.unit(g, d), true);
            if (pass == 0) {
              int[] size = sizes.computeIfAbsent(key, x -> new int[2]);
              size[0]++;
              size[1] += probed.count(j);
            } else {
              open.get(key).add(block.id(i), block.values(), i, probed.cells, probed.start[j], probed.count(j));
            }
          }
        }
      }
    }
    return built(open);
  }

  private Map<Long, CellPacket.Builder> builders(Map<Long, int[]> sizes) {
    Map<Long, CellPacket.Builder> open = new LinkedHashMap<>();
    sizes.forEach((key, size) -> open.put(key, new CellPacket.Builder(block.dim(), size[0], size[1])));
    return open;
  }

  private static List<Tuple2<Long, CellPacket>> built(Map<Long, CellPacket.Builder> open) {
    List<Tuple2<Long, CellPacket>> out = new ArrayList<>(open.size());
    open.forEach((key, b) -> out.add(new Tuple2<>(key, b.build())));
    return out;
  }
}
