package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** How IVF cuts its work into units and packets, and spreads the units over partitions. */
class IvfUnitsTest {

  @Test
  void probedCellsAreGroupedOwnGroupFirst() {
    int[] groupOf = {2, 2, 1, 1, 0, 0, 2, 0};
    ProbedGroups probed = new ProbedGroups(4).of(new int[] {9, 5, 3, 7, 1}, 1, groupOf);
    assertEquals(3, probed.groups);
    assertArrayEquals(new int[] {0, 1, 2}, java.util.Arrays.copyOf(probed.group, 3));
    assertArrayEquals(new int[] {5, 7, 3, 1}, probed.cells);
    assertEquals(2, probed.count(0));
    assertEquals(1, probed.count(1));
    assertEquals(1, probed.count(2));
  }

  @Test
  void unitsSpreadByWorkTheHeaviestPartitionFirst() {
    // Groups of 1000, 900, 800 docs and three small ones, one chunk each, as many queries each.
    long[] docs = {1000, 900, 800, 100, 100, 100};
    long[] queries = {10, 10, 10, 10, 10, 10};
    int[] chunks = {1, 1, 1, 1, 1, 1};
    UnitPartitioner p = UnitPartitioner.balanced(docs, queries, chunks, 3);
    assertEquals(3, p.numPartitions());
    double[] load = new double[3];
    for (int g = 0; g < docs.length; g++) {
      int corpus = p.getPartition(UnitKeys.packetKey(UnitKeys.unit(g, 0), false));
      assertEquals(corpus, p.getPartition(UnitKeys.packetKey(UnitKeys.unit(g, 0), true)),
          "a unit's corpus and queries meet in one partition");
      load[corpus] += docs[g] * queries[g];
    }
    assertArrayEquals(new double[] {10_000, 10_000, 10_000}, load, "longest-processing-time placement");
    assertEquals(p.getPartition(UnitKeys.packetKey(UnitKeys.unit(0, 0), false)), 0, "the biggest unit starts first");
  }

  @Test
  void chunksOfOneGroupAreUnitsOfTheirOwn() {
    long[] docs = {4000, 10};
    long[] queries = {5, 5};
    int[] chunks = {4, 1};
    UnitPartitioner p = UnitPartitioner.balanced(docs, queries, chunks, 8);
    assertEquals(5, p.numPartitions(), "no more partitions than units");
    Set<Integer> used = new HashSet<>();
    for (int c = 0; c < 4; c++) {
      used.add(p.getPartition(UnitKeys.packetKey(UnitKeys.unit(0, c), false)));
    }
    assertEquals(4, used.size(), "the chunks of a big group run as four tasks");
  }

  /** Rows 0..5 of a self search, nprobe 3, cells 0..3 in groups {0, 0, 1, 1}, one chunk per group. */
  @Test
  void aSelfSearchSendsEachRowToItsOwnUnitOnceAsBoth() {
    List<Object> ids = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (long i = 0; i < 6; i++) {
      ids.add(i);
      vectors.add(new float[] {1, i});
    }
    VectorBlock block = VectorBlock.of(ids, vectors);
    int[] cells = {
        0, 1, 2, // row 0: own group 0 (cells 0, 1), then group 1 (cell 2)
        1, 0, 3,
        2, 3, 0, // row 2: own group 1 (cells 2, 3), then group 0 (cell 0)
        3, 2, 1,
        0, 1, 2,
        2, 3, 1};
    RoutedBlock routed = new RoutedBlock(block, cells, 3);
    int[] groupOf = {0, 0, 1, 1};
    int[] chunks = {1, 1};
    Map<Long, CellPacket> docPackets = packets(routed.docPackets(groupOf, chunks, true));
    Map<Long, CellPacket> queryPackets = packets(routed.queryPackets(groupOf, chunks, true));
    CellPacket own0 = docPackets.get(UnitKeys.packetKey(UnitKeys.unit(0, 0), false));
    CellPacket own1 = docPackets.get(UnitKeys.packetKey(UnitKeys.unit(1, 0), false));
    assertEquals(3, own0.rows());
    assertEquals(3, own1.rows());
    // Row 0's corpus packet carries its own cell first, then the other cell it probes in its group.
    assertEquals(0L, own0.id(0));
    assertArrayEquals(new int[] {0, 1}, java.util.Arrays.copyOfRange(own0.cells, own0.cellStart[0],
        own0.cellStart[1]));
    // Every row probes the other group once (one query copy each), never its own.
    CellPacket to0 = queryPackets.get(UnitKeys.packetKey(UnitKeys.unit(0, 0), true));
    CellPacket to1 = queryPackets.get(UnitKeys.packetKey(UnitKeys.unit(1, 0), true));
    assertEquals(3, to0.rows());
    assertEquals(3, to1.rows());
    Set<Object> toGroup1 = new HashSet<>();
    for (int r = 0; r < to1.rows(); r++) {
      toGroup1.add(to1.id(r));
    }
    assertEquals(Set.of(0L, 1L, 4L), toGroup1, "the rows whose own group is 0");
    assertEquals(2, queryPackets.size());
  }

  @Test
  void aQueryCorpusSearchSendsQueriesToEveryGroupTheyProbe() {
    VectorBlock block = VectorBlock.of(List.of(7L), List.of(new float[] {1, 0}));
    RoutedBlock routed = new RoutedBlock(block, new int[] {0, 2, 1}, 3);
    Map<Long, CellPacket> queryPackets = packets(routed.queryPackets(new int[] {0, 0, 1}, new int[] {1, 2}, false));
    // Group 0 once (cells 0 and 1), group 1 in both of its chunks (cell 2).
    assertEquals(3, queryPackets.size());
    CellPacket g0 = queryPackets.get(UnitKeys.packetKey(UnitKeys.unit(0, 0), true));
    assertArrayEquals(new int[] {0, 1}, g0.cells);
    assertTrue(queryPackets.containsKey(UnitKeys.packetKey(UnitKeys.unit(1, 1), true)));
  }

  private static Map<Long, CellPacket> packets(List<Tuple2<Long, CellPacket>> list) {
    Map<Long, CellPacket> out = new HashMap<>();
    for (Tuple2<Long, CellPacket> t : list) {
      assertTrue(out.put(t._1(), t._2()) == null, "one packet per unit and side");
    }
    return out;
  }
}
