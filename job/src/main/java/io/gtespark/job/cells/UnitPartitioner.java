package io.gtespark.job.cells;

import java.util.Arrays;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Sends every packet of a unit, corpus and queries alike, to one partition, the units placed by
 * their estimated work (corpus rows times the queries that probe their group), biggest first
 * into the least loaded partition, and partition 0 the most loaded: Spark starts tasks in
 * partition order, so the longest start first and the short ones fill in at the end.
 */
final class UnitPartitioner extends org.apache.spark.Partitioner {
  private static final long serialVersionUID = 1L;
  /** Units of groups before group g: unit (g, chunk) has index firstUnit[g] + chunk. */
  private final int[] firstUnit;
  private final int[] partitionOf;
  private final int partitions;

  private UnitPartitioner(int[] firstUnit, int[] partitionOf, int partitions) {
    this.firstUnit = firstUnit;
    this.partitionOf = partitionOf;
    this.partitions = partitions;
  }

  /** Units (group, chunk) spread over {@code partitions} by their work. */
  static UnitPartitioner balanced(long[] docsPerGroup, long[] queriesPerGroup, int[] chunks, int partitions) {
    int groups = chunks.length;
    int[] firstUnit = new int[groups + 1];
    for (int g = 0; g < groups; g++) {
      firstUnit[g + 1] = firstUnit[g] + chunks[g];
    }
    int units = firstUnit[groups];
    double[] work = new double[units];
    Integer[] order = new Integer[units];
    for (int g = 0; g < groups; g++) {
      for (int c = 0; c < chunks[g]; c++) {
        int u = firstUnit[g] + c;
        work[u] = (double) docsPerGroup[g] / chunks[g] * Math.max(1, queriesPerGroup[g]);
        order[u] = u;
      }
    }
    Arrays.sort(order, (a, b) -> work[a] != work[b] ? Double.compare(work[b], work[a]) : Integer.compare(a, b));
    int bins = Math.max(1, Math.min(partitions, units));
    double[] load = new double[bins];
    int[] binOf = new int[units];
    java.util.PriorityQueue<Integer> lightest = new java.util.PriorityQueue<>(bins, (a, b) ->
        load[a] != load[b] ? Double.compare(load[a], load[b]) : Integer.compare(a, b));
    for (int b = 0; b < bins; b++) {
      lightest.add(b);
    }
    for (int u : order) {
      int b = lightest.poll();
      binOf[u] = b;
      load[b] += work[u];
      lightest.add(b);
    }
    Integer[] byLoad = new Integer[bins];
    for (int b = 0; b < bins; b++) {
      byLoad[b] = b;
    }
    Arrays.sort(byLoad, (a, b) -> load[a] != load[b] ? Double.compare(load[b], load[a]) : Integer.compare(a, b));
    int[] rankOf = new int[bins];
    for (int r = 0; r < bins; r++) {
      rankOf[byLoad[r]] = r;
    }
    int[] partitionOf = new int[units];
    for (int u = 0; u < units; u++) {
      partitionOf[u] = rankOf[binOf[u]];
    }
    return new UnitPartitioner(firstUnit, partitionOf, bins);
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    long unit = ((Long) key) >>> 1;
    return partitionOf[firstUnit[(int) (unit >>> 20)] + (int) (unit & 0xFFFFF)];
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof UnitPartitioner && Arrays.equals(((UnitPartitioner) other).partitionOf, partitionOf)
        && Arrays.equals(((UnitPartitioner) other).firstUnit, firstUnit);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(partitionOf);
  }

  /**
   * The packets shuffled to their units' partitions, sorted by key (a unit's corpus first). The
   * shuffle has a serializer of its own ({@link CellPacketSerializer}), which keeps no reference
   * to what it wrote: Spark's Java serializer keeps the last 100 objects of a stream reachable,
   * which for packets of megabytes held gigabytes and ran a 200,000-row search out of a 2 GiB heap.
   */
  static JavaRDD<Tuple2<Long, CellPacket>> sortedByUnit(JavaPairRDD<Long, CellPacket> packets,
      UnitPartitioner partitioner) {
    org.apache.spark.rdd.ShuffledRDD<Long, CellPacket, CellPacket> shuffled = new org.apache.spark.rdd.ShuffledRDD<>(
        packets.rdd(), partitioner, scala.reflect.ClassTag$.MODULE$.apply(Long.class),
        scala.reflect.ClassTag$.MODULE$.apply(CellPacket.class), scala.reflect.ClassTag$.MODULE$.apply(CellPacket.class));
    shuffled.setSerializer(new CellPacketSerializer());
    shuffled.setKeyOrdering(scala.math.Ordering.comparatorToOrdering(java.util.Comparator.<Long>naturalOrder()));
    return shuffled.toJavaRDD();
  }
}
