package io.gtespark.job.similarity;

import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Exact top-K by inner product without materialising the cross join: the smaller side is cut
 * into blocks collected to the driver and broadcast one at a time; each task scans its
 * partition of the larger side against the block and keeps a bounded top-K heap per query;
 * candidates (at most K per query per partition or block) are ranked once at the end.
 * Memory per task: one block plus block-size x K heap entries.
 */
public final class ExactTopK {
  private ExactTopK() {}

  /** Output schema: query_id, doc_id, score, rank. */
  public static StructType schema(Dataset<Row> queries, Dataset<Row> corpus) {
    return new StructType()
        .add("query_id", queries.schema().apply(VectorTable.ID).dataType(), false)
        .add("doc_id", corpus.schema().apply(VectorTable.ID).dataType(), false)
        .add("score", DataTypes.DoubleType, false);
  }

  /**
   * For every query (id, vector) its {@code k} best corpus rows. With {@code excludeSelf} a
   * row never matches its own id; scores below {@code minScore} are dropped. Broadcast blocks
   * are kept until the caller releases them with {@link Blocks#release()}.
   */
  public static Dataset<Row> topK(SparkSession spark, Dataset<Row> queries, Dataset<Row> corpus, int k,
      boolean excludeSelf, double minScore, int blockRows, Blocks blocks) {
    StructType candidateSchema = schema(queries, corpus);
    long nq = queries.count();
    long nd = corpus.count();
    boolean broadcastQueries = nq <= nd;
    Dataset<Row> small = broadcastQueries ? queries : corpus;
    Dataset<Row> large = broadcastQueries ? corpus : queries;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> candidates = null;
    Iterator<Row> it = small.select(VectorTable.ID, VectorTable.VECTOR).toLocalIterator();
    while (it.hasNext()) {
      List<Object> ids = new ArrayList<>(blockRows);
      List<float[]> vectors = new ArrayList<>(blockRows);
      while (it.hasNext() && ids.size() < blockRows) {
        Row r = it.next();
        ids.add(r.get(0));
        vectors.add(VectorTable.toFloats(r, 1));
      }
      Broadcast<Block> b = jsc.broadcast(new Block(ids.toArray(), vectors.toArray(new float[0][])));
      blocks.add(b);
      Dataset<Row> part = large.select(VectorTable.ID, VectorTable.VECTOR).mapPartitions(
          broadcastQueries ? new ScanCorpus(b, k, excludeSelf, minScore) : new ScanQueries(b, k, excludeSelf, minScore),
          Encoders.row(candidateSchema));
      candidates = candidates == null ? part : candidates.union(part);
    }
    if (candidates == null) {
      return spark.createDataFrame(new ArrayList<>(), candidateSchema.add("rank", DataTypes.IntegerType, false));
    }
    return rank(candidates, k);
  }

  /** Keeps each query's K best candidates, ranked 1..K (ties: smaller doc id first). */
  static Dataset<Row> rank(Dataset<Row> candidates, int k) {
    return candidates
        .withColumn("rank", functions.row_number().over(
            Window.partitionBy("query_id").orderBy(functions.col("score").desc(), functions.col("doc_id").asc())))
        .filter(functions.col("rank").leq(k));
  }

  /** One broadcast block of the smaller side. */
  static final class Block implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object[] ids;
    final float[][] vectors;

    Block(Object[] ids, float[][] vectors) {
      this.ids = ids;
      this.vectors = vectors;
    }
  }

  /** The broadcasts of one run, released after its output is written. */
  public static final class Blocks {
    private final List<Broadcast<?>> list = new ArrayList<>();

    void add(Broadcast<?> b) {
      list.add(b);
    }

    /** Frees the broadcast blocks on the executors and the driver. */
    public void release() {
      list.forEach(b -> b.destroy());
      list.clear();
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** A scan of one side's partition against a broadcast block of the other side. */
  abstract static class BlockScan implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    final Broadcast<Block> block;
    final int k;
    final boolean excludeSelf;
    final double minScore;

    BlockScan(Broadcast<Block> block, int k, boolean excludeSelf, double minScore) {
      this.block = block;
      this.k = k;
      this.excludeSelf = excludeSelf;
      this.minScore = minScore;
    }

    /** Scores one (query, doc) pair and keeps it if it belongs in the query's top K. */
    final void consider(TopKHeap heap, Object queryId, float[] query, Object docId, float[] doc) {
      if (excludeSelf && queryId.equals(docId)) {
        return;
      }
      double s = dot(query, doc);
      if (s >= minScore && !heap.cannotEnter(s)) {
        heap.offer(s, docId);
      }
    }
  }

  /** Block = queries: scan corpus rows, one heap per query of the block. */
  static final class ScanCorpus extends BlockScan {
    private static final long serialVersionUID = 1L;

    ScanCorpus(Broadcast<Block> block, int k, boolean excludeSelf, double minScore) {
      super(block, k, excludeSelf, minScore);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> docs) {
      Block q = block.value();
      TopKHeap[] heaps = new TopKHeap[q.ids.length];
      for (int i = 0; i < heaps.length; i++) {
        heaps[i] = new TopKHeap(k);
      }
      while (docs.hasNext()) {
        Row d = docs.next();
        Object docId = d.get(0);
        float[] v = VectorTable.toFloats(d, 1);
        for (int i = 0; i < heaps.length; i++) {
          consider(heaps[i], q.ids[i], q.vectors[i], docId, v);
        }
      }
      List<Row> out = new ArrayList<>();
      for (int i = 0; i < heaps.length; i++) {
        for (TopKHeap.Entry e : heaps[i].entries()) {
          out.add(RowFactory.create(q.ids[i], e.id, e.score));
        }
      }
      return out.iterator();
    }
  }

  /** Block = corpus: scan query rows, one heap per query row over the block. */
  static final class ScanQueries extends BlockScan {
    private static final long serialVersionUID = 1L;

    ScanQueries(Broadcast<Block> block, int k, boolean excludeSelf, double minScore) {
      super(block, k, excludeSelf, minScore);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> queries) {
      Block d = block.value();
      // Lazy: one query's K rows at a time, so output memory does not grow with the partition.
      return new Iterator<Row>() {
        private Iterator<Row> current = java.util.Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          while (!current.hasNext() && queries.hasNext()) {
            current = scores(queries.next(), d).iterator();
          }
          return current.hasNext();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return current.next();
        }
      };
    }

    private List<Row> scores(Row q, Block d) {
      Object queryId = q.get(0);
      float[] v = VectorTable.toFloats(q, 1);
      TopKHeap heap = new TopKHeap(k);
      for (int j = 0; j < d.ids.length; j++) {
        consider(heap, queryId, v, d.ids[j], d.vectors[j]);
      }
      List<Row> out = new ArrayList<>();
      for (TopKHeap.Entry e : heap.entries()) {
        out.add(RowFactory.create(queryId, e.id, e.score));
      }
      return out;
    }
  }
}
