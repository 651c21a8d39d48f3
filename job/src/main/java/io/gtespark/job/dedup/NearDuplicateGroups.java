package io.gtespark.job.dedup;

import io.gtespark.job.metrics.MaxAccumulator;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Groups of near-duplicates from the pairs a search found at or above the threshold: the
 * connected components of that graph (large-star and small-star rounds, as RDDs), each
 * decided by the keep rule. A group of at most {@code localGroupRows} members is decided in one
 * task by {@link GreedyKeep} from its members' ranks and pairs; a larger one in
 * {@link KeepRounds} over its pairs, so no task holds a giant group, and no task holds a group's
 * vectors (the centre rule's group means are sums across the cluster). Rows in no pair are not touched:
 * they are kept.
 */
public final class NearDuplicateGroups {
  /** Columns of {@link #decide}'s output. */
  public static final String DUPLICATE_OF = "duplicate_of";
  public static final String SCORE = "score";
  public static final String GROUP = "cluster";
  /** The rule's sort key of a row (smaller is kept first). */
  public static final String ORDER = "_keep_order";
  private static final int MAX_ROUNDS = 100;
  /** Pairs per partition of the grouping rounds: each round is a few small shuffles, so few tasks. */
  private static final long PAIRS_PER_PARTITION = 200_000;

  private final int rounds;
  private final int keepRounds;
  private final long largestLocalGroup;
  private final Dataset<Row> decisions;

  private NearDuplicateGroups(int rounds, int keepRounds, long largestLocalGroup, Dataset<Row> decisions) {
    this.rounds = rounds;
    this.keepRounds = keepRounds;
    this.largestLocalGroup = largestLocalGroup;
    this.decisions = decisions;
  }

  /** Rounds the components took. */
  public int rounds() {
    return rounds;
  }

  /** Rounds of {@link KeepRounds} the large groups took (0 when every group was decided in one task). */
  public int keepRounds() {
    return keepRounds;
  }

  /** The most members one task decided with {@link GreedyKeep}. */
  public long largestLocalGroup() {
    return largestLocalGroup;
  }

  /**
   * One row per member of a group: (id, duplicate_of, score, cluster); {@code duplicate_of} and
   * {@code score} are null for the kept members.
   */
  public Dataset<Row> decisions() {
    return decisions;
  }

  /** A member's group (its component's label) and its place in the keep order. */
  private static final class Member implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object label;
    final KeepRank rank;

    Member(Object label, KeepRank rank) {
      this.label = label;
      this.rank = rank;
    }
  }

  /** A pair in keep order: {@code earlier} comes first; both in group {@code label}. */
  private static final class Directed implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object label;
    final KeepRank earlier;
    final Object later;
    final double score;

    Directed(Object label, KeepRank earlier, Object later, double score) {
      this.label = label;
      this.earlier = earlier;
      this.later = later;
      this.score = score;
    }
  }

  /**
   * Groups {@code rows} (id, vector, {@link #ORDER}) by {@code pairs} (query_id, doc_id, score,
   * every score at or above the threshold; {@code pairRows} of them) and decides each group
   * with {@code rule}: in one task up to {@code localGroupRows} members, in rounds above.
   */
  public static NearDuplicateGroups decide(SparkSession spark, Dataset<Row> rows, Dataset<Row> pairs, long pairRows,
      KeepRule rule, long localGroupRows) {
    // As RDDs: Catalyst's size estimate of a join multiplies its sides' estimates, and a
    // checkpointed round keeps the estimate of the round before, so Dataset rounds grew it
    // (and the planning time) exponentially.
    // One partitioner for every round: a union of RDDs adds up their partitions, and a
    // reduceByKey without one keeps the largest, so the rounds would double the tasks.
    HashPartitioner partitioner = new HashPartitioner((int) Math.max(spark.sparkContext().defaultParallelism(),
        Math.min(100_000, pairRows / PAIRS_PER_PARTITION)));
    JavaRDD<GreedyKeep.Edge> edges = pairs.select("query_id", "doc_id", "score").javaRDD()
        .mapToPair(r -> {
          boolean ordered = compare(r.get(0), r.get(1)) <= 0;
          return new Tuple2<>(new Tuple2<>(ordered ? r.get(0) : r.get(1), ordered ? r.get(1) : r.get(0)),
              r.getDouble(2));
        })
        .reduceByKey(partitioner, Math::max)
        .map(t -> new GreedyKeep.Edge(t._1()._1(), t._1()._2(), t._2()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Components components = Components.of(edges, partitioner);
    JavaPairRDD<Object, Member> members = ranks(rows, components.labels, rule, partitioner)
        .persist(StorageLevel.MEMORY_AND_DISK());
    members.count();
    components.labels.unpersist(false);
    // Each pair once, from the earlier member to the later, with its group: keyed and partitioned by
    // the earlier member, so the joins with the members' statuses below shuffle only the statuses.
    JavaPairRDD<Object, Directed> byEarlier = edges.mapToPair(e -> new Tuple2<Object, GreedyKeep.Edge>(e.a, e))
        .join(members, partitioner).mapToPair(t -> new Tuple2<>(t._2()._1().b, new Tuple2<>(t._2()._1(), t._2()._2())))
        .join(members, partitioner).mapToPair(t -> {
          GreedyKeep.Edge e = t._2()._1()._1();
          KeepRank ra = t._2()._1()._2().rank;
          KeepRank rb = t._2()._2().rank;
          boolean aFirst = ra.compareTo(rb) <= 0;
          KeepRank earlier = aFirst ? ra : rb;
          return new Tuple2<Object, Directed>(earlier.id, new Directed(t._2()._2().label, earlier, aFirst ? e.b : e.a,
              e.score));
        }).partitionBy(partitioner).persist(StorageLevel.MEMORY_AND_DISK());
    edges.unpersist(false);

    // Groups too large for one task, named by their labels (at most rows / localGroupRows of them).
    Set<Object> large = new HashSet<>(members.mapToPair(t -> new Tuple2<>(t._2().label, 1L))
        .reduceByKey(partitioner, Long::sum).filter(t -> t._2() > localGroupRows).keys().collect());
    int keepRounds = 0;
    JavaPairRDD<Object, Byte> roundsStatus = null;
    JavaPairRDD<Object, Member> pending = members;
    JavaPairRDD<Object, GreedyKeep.Edge> pendingPairs = byEarlier.mapToPair(t -> new Tuple2<>(t._2().label,
        new GreedyKeep.Edge(t._1(), t._2().later, t._2().score)));
    JavaPairRDD<Object, Byte> decidedInRounds = null;
    if (!large.isEmpty()) {
      JavaPairRDD<Object, Object> laterByEarlier = byEarlier.filter(t -> large.contains(t._2().label))
          .mapValues(d -> d.later).persist(StorageLevel.MEMORY_AND_DISK());
      KeepRounds.Result r = KeepRounds.run(laterByEarlier, members.filter(t -> large.contains(t._2().label))
          .mapValues(m -> KeepRounds.UNDECIDED), partitioner, localGroupRows);
      laterByEarlier.unpersist(false);
      keepRounds = r.rounds;
      roundsStatus = r.status;
      decidedInRounds = r.status.filter(t -> t._2() != KeepRounds.UNDECIDED);
      // Left for one task: the smaller groups, and what the rounds left undecided with the pairs among them.
      pending = members.subtractByKey(decidedInRounds, partitioner);
      JavaPairRDD<Object, Member> left = pending;
      pendingPairs = byEarlier.join(left, partitioner).mapToPair(t -> new Tuple2<>(t._2()._1().later, t._2()._1()))
          .join(left, partitioner).mapToPair(t -> new Tuple2<>(t._2()._1().label,
              new GreedyKeep.Edge(t._2()._1().earlier.id, t._1(), t._2()._1().score)));
    }

    // The members left decided one group per task, from ranks and pairs.
    MaxAccumulator largestLocal = new MaxAccumulator();
    spark.sparkContext().register(largestLocal, "gte-dedup-largest-local-group");
    JavaPairRDD<Object, Byte> local = pending.mapToPair(t -> new Tuple2<>(t._2().label, t._2().rank))
        .cogroup(pendingPairs, partitioner).flatMapToPair(g -> {
          List<KeepRank> ranks = new ArrayList<>();
          g._2()._1().forEach(ranks::add);
          List<GreedyKeep.Edge> e = new ArrayList<>();
          g._2()._2().forEach(e::add);
          largestLocal.add((long) ranks.size());
          Set<Object> kept = GreedyKeep.kept(ranks, e);
          List<Tuple2<Object, Byte>> out = new ArrayList<>(ranks.size());
          for (KeepRank k : ranks) {
            out.add(new Tuple2<>(k.id, kept.contains(k.id) ? KeepRounds.KEPT : KeepRounds.REMOVED));
          }
          return out.iterator();
        });
    JavaPairRDD<Object, Byte> decided = (decidedInRounds == null ? local : decidedInRounds.union(local))
        .partitionBy(partitioner).persist(StorageLevel.MEMORY_AND_DISK());

    // A removed member points at its best-scoring kept near-duplicate before it (on a tie, the earliest).
    JavaPairRDD<Object, Tuple2<KeepRank, Double>> pointers = byEarlier
        .join(decided.filter(t -> t._2() == KeepRounds.KEPT), partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._1().later, new Tuple2<>(t._2()._1().earlier, t._2()._1().score)))
        .reduceByKey(partitioner, (x, y) -> x._2() > y._2() || (x._2().equals(y._2()) && x._1().compareTo(y._1()) < 0)
            ? x : y);
    // A group is named by its first member in keep order.
    JavaPairRDD<Object, Object> names = members.mapToPair(t -> new Tuple2<>(t._2().label, t._2().rank))
        .reduceByKey(partitioner, KeepRank::first).mapValues(k -> k.id);
    JavaRDD<Row> out = members.leftOuterJoin(pointers, partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._1().label, new Tuple2<>(t._1(), t._2()._2())))
        .join(names, partitioner).map(t -> {
          Object id = t._2()._1()._1();
          Optional<Tuple2<KeepRank, Double>> p = t._2()._1()._2();
          return p.isPresent() ? RowFactory.create(id, p.get()._1().id, p.get()._2(), t._2()._2())
              : RowFactory.create(id, null, null, t._2()._2());
        });
    DataType id = rows.schema().apply(VectorTable.ID).dataType();
    StructType schema = new StructType().add(VectorTable.ID, id, false).add(DUPLICATE_OF, id, true)
        .add(SCORE, DataTypes.DoubleType, true).add(GROUP, id, false);
    Dataset<Row> result = spark.createDataFrame(out, schema).persist(StorageLevel.MEMORY_AND_DISK());
    long removed = result.filter(functions.col(DUPLICATE_OF).isNotNull()).count();
    long decidedRemoved = decided.filter(t -> t._2() == KeepRounds.REMOVED).count();
    if (removed != decidedRemoved) {
      throw new IllegalStateException("dedup decided " + decidedRemoved + " rows as duplicates but found a kept row "
          + "for " + removed + " of them; the groups are inconsistent and nothing was written.");
    }
    decided.unpersist(false);
    byEarlier.unpersist(false);
    members.unpersist(false);
    if (roundsStatus != null) {
      roundsStatus.unpersist(false);
    }
    return new NearDuplicateGroups(components.rounds, keepRounds, largestLocal.value(), result);
  }

  /**
   * Each member's group label (the smallest id of its component) and the rounds that took: the
   * alternating large-star and small-star operations of Kiveris et al. ("Connected Components in
   * MapReduce and Beyond", 2014), which settle in O(log² n) rounds whatever the graph's diameter
   * (min-label propagation needs about one round per hop, and a chain of near-duplicates is
   * tens of thousands of hops long). Each round is a few shuffles of the pairs; no task holds
   * more than one member's pairs.
   */
  private static final class Components {
    final JavaPairRDD<Object, Object> labels;
    final int rounds;

    private Components(JavaPairRDD<Object, Object> labels, int rounds) {
      this.labels = labels;
      this.rounds = rounds;
    }

    static Components of(JavaRDD<GreedyKeep.Edge> edges, HashPartitioner partitioner) {
      // Pairs as (larger, smaller); a settled graph is a star: every node points at its component's minimum.
      JavaPairRDD<Object, Object> pairs = edges.mapToPair(e -> new Tuple2<Object, Object>(e.b, e.a))
          .partitionBy(partitioner).persist(StorageLevel.MEMORY_AND_DISK());
      int round = 0;
      while (true) {
        round++;
        if (round > MAX_ROUNDS) {
          throw new IllegalStateException("Near-duplicate groups did not settle in " + MAX_ROUNDS + " rounds; "
              + "this should not happen for any graph: report it with the run's _gte_metrics.json.");
        }
        JavaPairRDD<Object, Object> next = smallStar(largeStar(pairs, partitioner), partitioner)
            .persist(StorageLevel.MEMORY_AND_DISK());
        long unsettled = unsettled(next, partitioner);
        System.out.printf("dedup: grouping round %d, %d members not yet pointing at their group's first id%n", round,
            unsettled);
        pairs.unpersist(false);
        pairs = next;
        if (unsettled == 0) {
          JavaPairRDD<Object, Object> labels = pairs.union(pairs.values().distinct(partitioner.numPartitions())
              .mapToPair(r -> new Tuple2<>(r, r))).partitionBy(partitioner).persist(StorageLevel.MEMORY_AND_DISK());
          labels.count();
          pairs.unpersist(false);
          return new Components(labels, round);
        }
      }
    }

    /** Each node's larger neighbours are pointed at the smallest of the node and its neighbours. */
    private static JavaPairRDD<Object, Object> largeStar(JavaPairRDD<Object, Object> pairs, HashPartitioner p) {
      JavaPairRDD<Object, Object> both = pairs.union(pairs.mapToPair(t -> new Tuple2<>(t._2(), t._1())));
      JavaPairRDD<Object, Object> least = both.reduceByKey(p, NearDuplicateGroups::min);
      return both.filter(t -> compare(t._2(), t._1()) > 0).join(least, p)
          .mapToPair(t -> new Tuple2<>(t._2()._1(), min(t._1(), t._2()._2())))
          .filter(t -> !t._1().equals(t._2())).distinct(p.numPartitions());
    }

    /** Each node and its smaller neighbours are pointed at the smallest of them. */
    private static JavaPairRDD<Object, Object> smallStar(JavaPairRDD<Object, Object> pairs, HashPartitioner p) {
      JavaPairRDD<Object, Object> least = pairs.reduceByKey(p, NearDuplicateGroups::min);
      return pairs.join(least, p).mapToPair(t -> new Tuple2<>(t._2()._1(), t._2()._2()))
          .union(least)
          .filter(t -> !t._1().equals(t._2())).distinct(p.numPartitions()).partitionBy(p);
    }

    /**
     * Pointers beyond a node's first, plus pointers of a node that another points at: one job and
     * one shuffle of the reversed pairs ({@code pairs} are partitioned by {@code p} already),
     * where counting the two apart took three jobs and three shuffles of the graph each round.
     */
    private static long unsettled(JavaPairRDD<Object, Object> pairs, HashPartitioner p) {
      return pairs.cogroup(pairs.mapToPair(t -> new Tuple2<>(t._2(), t._1())), p).map(g -> {
        long out = 0;
        for (Object ignored : g._2()._1()) {
          out++;
        }
        boolean pointedAt = g._2()._2().iterator().hasNext();
        return Math.max(0, out - 1) + (pointedAt ? out : 0);
      }).fold(0L, Long::sum);
    }
  }

  /**
   * Each member (a row in some pair) with its group and keep rank: the rule's {@link #ORDER}, or
   * for the centre rule minus the dot product of its unit vector with the sum of its group's unit
   * vectors (summed by group across the cluster, so no task holds a group's vectors).
   */
  private static JavaPairRDD<Object, Member> ranks(Dataset<Row> rows, JavaPairRDD<Object, Object> labels,
      KeepRule rule, HashPartitioner partitioner) {
    if (rule == KeepRule.FIRST) {
      return labels.mapToPair(t -> new Tuple2<>(t._1(), new Member(t._2(), new KeepRank(0, t._1()))));
    }
    if (rule == KeepRule.LONGEST) {
      return rows.select(VectorTable.ID, ORDER).javaRDD().mapToPair(r -> new Tuple2<>(r.get(0), r.getDouble(1)))
          .join(labels, partitioner).mapToPair(t -> new Tuple2<>(t._1(), new Member(t._2()._2(),
              new KeepRank(t._2()._1(), t._1()))));
    }
    JavaPairRDD<Object, Tuple2<Object, float[]>> units = rows.select(VectorTable.ID, VectorTable.VECTOR).javaRDD()
        .mapToPair(r -> new Tuple2<>(r.get(0), VectorRows.unit(r, 1))).join(labels, partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._2(), new Tuple2<>(t._1(), t._2()._1())));
    JavaPairRDD<Object, float[]> sums = units.mapValues(Tuple2::_2).reduceByKey(partitioner, (x, y) -> {
      float[] s = x.clone();
      for (int i = 0; i < s.length; i++) {
        s[i] += y[i];
      }
      return s;
    });
    return units.join(sums, partitioner).mapToPair(t -> new Tuple2<>(t._2()._1()._1(), new Member(t._1(),
        new KeepRank(-VectorMath.dot(t._2()._1()._2(), t._2()._2()), t._2()._1()._1()))));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compare(Object a, Object b) {
    return ((Comparable) a).compareTo(b);
  }

  private static Object min(Object a, Object b) {
    return compare(a, b) <= 0 ? a : b;
  }
}
