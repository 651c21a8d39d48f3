package io.gtespark.job.dedup;

import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
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
 * connected components of that graph (min-label propagation with pointer jumping, as Datasets),
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
   * every score at or above the threshold) and decides each group with {@code rule}.
   */
  public static NearDuplicateGroups decide(SparkSession spark, Dataset<Row> rows, Dataset<Row> pairs, KeepRule rule) {
    Dataset<Row> edges = pairs
        .select(functions.least(functions.col("query_id"), functions.col("doc_id")).as("a"),
            functions.greatest(functions.col("query_id"), functions.col("doc_id")).as("b"),
            functions.col("score"))
        .groupBy("a", "b").agg(functions.max("score").as("score"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> labels = edges.select(functions.col("a").as("node"), functions.col("a").as("label"))
        .union(edges.select(functions.col("b").as("node"), functions.col("a").as("label")))
        .groupBy("node").agg(functions.min("label").as("label"))
        .localCheckpoint();
    int round = 0;
    while (true) {
      round++;
      if (round > MAX_ROUNDS) {
        edges.unpersist();
        throw new IllegalStateException("Near-duplicate groups did not settle in " + MAX_ROUNDS + " rounds of label "
            + "propagation; the pairs above --threshold form chains too long to follow. Raise --threshold.");
      }
      Dataset<Row> next = step(labels, edges).localCheckpoint();
      Dataset<Row> old = labels.withColumnRenamed("label", "old");
      long changed = next.join(old, "node").filter(functions.col("label").notEqual(functions.col("old"))).count();
      labels = next;
      if (changed == 0) {
        break;
      }
    }
    Dataset<Row> members = labels.join(rows, labels.col("node").equalTo(rows.col(VectorTable.ID)))
        .select(functions.col("label"), functions.col(VectorTable.ID), functions.col(ORDER),
            functions.col(VectorTable.VECTOR));
    Dataset<Row> labelled = edges.join(labels, edges.col("a").equalTo(labels.col("node")))
        .select(functions.col("label"), functions.col("a"), functions.col("b"), functions.col("score"));
    JavaPairRDD<Object, GreedyKeep.Member> byGroup = members.javaRDD().mapToPair(r -> new Tuple2<>(r.get(0),
        new GreedyKeep.Member(r.get(1), r.getDouble(2), floats(r.getList(3)))));
    JavaPairRDD<Object, GreedyKeep.Edge> edgesByGroup = labelled.javaRDD().mapToPair(r -> new Tuple2<>(r.get(0),
        new GreedyKeep.Edge(r.get(1), r.get(2), r.getDouble(3))));
    JavaRDD<Row> decided = byGroup.cogroup(edgesByGroup).flatMap(g -> {
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
    edges.unpersist();
    return new NearDuplicateGroups(round, out);
  }

  /** One round: every node takes its label's label (pointer jumping), then the smallest label across each pair. */
  private static Dataset<Row> step(Dataset<Row> labels, Dataset<Row> edges) {
    Dataset<Row> parent = labels.select(functions.col("node").as("p_node"), functions.col("label").as("p_label"));
    Dataset<Row> jumped = labels.join(parent, labels.col("label").equalTo(parent.col("p_node")), "left")
        .select(functions.col("node"),
            functions.least(functions.col("label"), functions.coalesce(functions.col("p_label"), functions.col("label")))
                .as("label"));
    Dataset<Row> la = jumped.select(functions.col("node").as("la_node"), functions.col("label").as("la"));
    Dataset<Row> lb = jumped.select(functions.col("node").as("lb_node"), functions.col("label").as("lb"));
    Dataset<Row> paired = edges.join(la, edges.col("a").equalTo(la.col("la_node")))
        .join(lb, edges.col("b").equalTo(lb.col("lb_node")));
    Column low = functions.least(functions.col("la"), functions.col("lb"));
    return jumped
        .union(paired.select(functions.col("a").as("node"), low.as("label")))
        .union(paired.select(functions.col("b").as("node"), low.as("label")))
        .groupBy("node").agg(functions.min("label").as("label"));
  }

  private static float[] floats(List<Object> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) list.get(i)).floatValue();
    }
    return v;
  }
}
