package io.gtespark.job.dedup;

import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Groups of near-duplicates from the pairs a search found at or above the threshold: the
 * connected components of that graph (min-label propagation with pointer jumping, as RDDs),
 * then {@link GreedyKeep} inside each group, one group per task call. Rows in no pair are not
 * touched: they are kept.
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
  private final Dataset<Row> decisions;

  private NearDuplicateGroups(int rounds, Dataset<Row> decisions) {
    this.rounds = rounds;
    this.decisions = decisions;
  }

  /** Rounds of label propagation the components took. */
  public int rounds() {
    return rounds;
  }

  /**
   * One row per member of a group: (id, duplicate_of, score, cluster); {@code duplicate_of} and
   * {@code score} are null for the kept members.
   */
  public Dataset<Row> decisions() {
    return decisions;
  }

  /**
   * Groups {@code rows} (id, vector, {@link #ORDER}) by {@code pairs} (query_id, doc_id, score,
   * every score at or above the threshold; {@code pairRows} of them) and decides each group
   * with {@code rule}.
   */
  public static NearDuplicateGroups decide(SparkSession spark, Dataset<Row> rows, Dataset<Row> pairs, long pairRows,
      KeepRule rule) {
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
    JavaPairRDD<Object, Object> adjacent = edges.flatMapToPair(e -> List.of(new Tuple2<>(e.a, e.b),
        new Tuple2<>(e.b, e.a)).iterator()).partitionBy(partitioner).persist(StorageLevel.MEMORY_AND_DISK());
    JavaPairRDD<Object, Object> labels = adjacent.union(adjacent.keys().mapToPair(n -> new Tuple2<>(n, n)))
        .reduceByKey(partitioner, NearDuplicateGroups::min).persist(StorageLevel.MEMORY_AND_DISK());
    int round = 0;
    try {
      while (true) {
        round++;
        if (round > MAX_ROUNDS) {
          throw new IllegalStateException("Near-duplicate groups did not settle in " + MAX_ROUNDS + " rounds of label "
              + "propagation; the pairs above --threshold form chains too long to follow. Raise --threshold.");
        }
        JavaPairRDD<Object, Object> next = step(labels, adjacent, partitioner).persist(StorageLevel.MEMORY_AND_DISK());
        long changed = next.join(labels, partitioner).filter(t -> !t._2()._1().equals(t._2()._2())).count();
        System.out.printf("dedup: grouping round %d, %d labels changed%n", round, changed);
        labels.unpersist(false);
        labels = next;
        if (changed == 0) {
          break;
        }
      }
    } finally {
      adjacent.unpersist(false);
    }
    JavaPairRDD<Object, GreedyKeep.Member> byGroup = labels.join(rows.select(VectorTable.ID, ORDER, VectorTable.VECTOR)
            .javaRDD().mapToPair(r -> new Tuple2<>(r.get(0), r)), partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._1(), new GreedyKeep.Member(t._1(), t._2()._2().getDouble(1),
            floats(t._2()._2().getList(2)))));
    JavaPairRDD<Object, GreedyKeep.Edge> edgesByGroup = edges.mapToPair(e -> new Tuple2<Object, GreedyKeep.Edge>(e.a, e))
        .join(labels, partitioner).mapToPair(t -> new Tuple2<>(t._2()._2(), t._2()._1()));
    JavaRDD<Row> decided = byGroup.cogroup(edgesByGroup, partitioner).flatMap(g -> {
      List<GreedyKeep.Member> m = new ArrayList<>();
      g._2()._1().forEach(m::add);
      List<GreedyKeep.Edge> e = new ArrayList<>();
      g._2()._2().forEach(e::add);
      List<Row> out = new ArrayList<>(m.size());
      for (GreedyKeep.Decision d : GreedyKeep.decide(m, e, rule)) {
        out.add(RowFactory.create(d.id, d.duplicateOf, d.score, d.group));
      }
      return out.iterator();
    });
    DataType id = rows.schema().apply(VectorTable.ID).dataType();
    StructType schema = new StructType().add(VectorTable.ID, id, false).add(DUPLICATE_OF, id, true)
        .add(SCORE, DataTypes.DoubleType, true).add(GROUP, id, false);
    Dataset<Row> out = spark.createDataFrame(decided, schema).persist(StorageLevel.MEMORY_AND_DISK());
    out.count();
    edges.unpersist(false);
    labels.unpersist(false);
    return new NearDuplicateGroups(round, out);
  }

  /** One round: every node takes its label's label (pointer jumping), then the smallest label among its neighbours'. */
  private static JavaPairRDD<Object, Object> step(JavaPairRDD<Object, Object> labels, JavaPairRDD<Object, Object> adjacent,
      HashPartitioner partitioner) {
    JavaPairRDD<Object, Object> jumped = labels.mapToPair(t -> new Tuple2<>(t._2(), t._1())).join(labels, partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._1(), min(t._1(), t._2()._2())));
    JavaPairRDD<Object, Object> received = adjacent.join(jumped, partitioner)
        .mapToPair(t -> new Tuple2<>(t._2()._1(), t._2()._2()));
    return jumped.union(received).reduceByKey(partitioner, NearDuplicateGroups::min);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compare(Object a, Object b) {
    return ((Comparable) a).compareTo(b);
  }

  private static Object min(Object a, Object b) {
    return compare(a, b) <= 0 ? a : b;
  }

  private static float[] floats(List<Object> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) list.get(i)).floatValue();
    }
    return v;
  }
}
