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
 * into blocks collected to the driver and broadcast one at a time; each task reads its
 * partition of the larger side in tiles, scores each tile against the block with one matrix
 * product ({@link VectorBlock}) and keeps a bounded top-K heap per query; candidates (at most K
 * per query per partition or block) are ranked once at the end. Memory per task: one block,
 * one tile of scores, and block-size x K heap entries.
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
      Broadcast<VectorBlock> b = jsc.broadcast(VectorBlock.of(ids, vectors));
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

  /** A scan of one side's partition against a broadcast block of the other side. */
  abstract static class BlockScan implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    final Broadcast<VectorBlock> block;
    final int k;
    final boolean excludeSelf;
    final double minScore;

    BlockScan(Broadcast<VectorBlock> block, int k, boolean excludeSelf, double minScore) {
      this.block = block;
      this.k = k;
      this.excludeSelf = excludeSelf;
      this.minScore = minScore;
    }

    /** Keeps (score, id) if it belongs in the heap; the self check runs only for such pairs. */
    final void consider(TopKHeap heap, Object queryId, Object docId, double score) {
      if (score >= minScore && !heap.cannotEnter(score) && !(excludeSelf && queryId.equals(docId))) {
        heap.offer(score, docId);
      }
    }
  }

  /**
   * Up to {@link #TILE_ROWS} partition rows and their scores against one block; the buffers are
   * allocated once per task and refilled tile after tile.
   */
  static final class ScoredTile {
    /** Partition rows scored per matrix product: a 256 x 4096 tile of scores is 4 MiB. */
    static final int TILE_ROWS = 256;
    final VectorBlock block;
    final Object[] ids = new Object[TILE_ROWS];
    private final float[] data;
    /** Row-major rows x block.rows(): {@code scores[i * block.rows() + j]} = row i . block row j. */
    final float[] scores;
    int rows;

    ScoredTile(VectorBlock block) {
      this.block = block;
      this.data = new float[TILE_ROWS * block.dim];
      this.scores = new float[TILE_ROWS * block.rows()];
    }

    /** Reads the next rows of {@code partition} and scores them; false when none were left. */
    boolean next(Iterator<Row> partition) {
      int dim = block.dim;
      rows = 0;
      while (rows < ids.length && partition.hasNext()) {
        Row r = partition.next();
        float[] v = VectorTable.toFloats(r, 1);
        if (v.length != dim) {
          throw new IllegalArgumentException("A vector of dimension " + v.length + " met one of dimension " + dim
              + ": both sides must hold vectors of one model.");
        }
        ids[rows] = r.get(0);
        System.arraycopy(v, 0, data, rows * dim, dim);
        rows++;
      }
      block.scoreTile(data, rows, scores);
      return rows > 0;
    }
  }

  /** Block = queries: scan corpus rows, one heap per query of the block. */
  static final class ScanCorpus extends BlockScan {
    private static final long serialVersionUID = 1L;

    ScanCorpus(Broadcast<VectorBlock> block, int k, boolean excludeSelf, double minScore) {
      super(block, k, excludeSelf, minScore);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> docs) {
      VectorBlock q = block.value();
      int nq = q.rows();
      TopKHeap[] heaps = new TopKHeap[nq];
      for (int j = 0; j < nq; j++) {
        heaps[j] = new TopKHeap(k);
      }
      ScoredTile tile = new ScoredTile(q);
      while (tile.next(docs)) {
        for (int i = 0; i < tile.rows; i++) {
          int row = i * nq;
          for (int j = 0; j < nq; j++) {
            consider(heaps[j], q.ids[j], tile.ids[i], tile.scores[row + j]);
          }
        }
      }
      List<Row> out = new ArrayList<>();
      for (int j = 0; j < nq; j++) {
        for (TopKHeap.Entry e : heaps[j].entries()) {
          out.add(RowFactory.create(q.ids[j], e.id, e.score));
        }
      }
      return out.iterator();
    }
  }

  /** Block = corpus: scan query rows a tile at a time, one heap per query row over the block. */
  static final class ScanQueries extends BlockScan {
    private static final long serialVersionUID = 1L;

    ScanQueries(Broadcast<VectorBlock> block, int k, boolean excludeSelf, double minScore) {
      super(block, k, excludeSelf, minScore);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> queries) {
      VectorBlock d = block.value();
      ScoredTile tile = new ScoredTile(d);
      // Lazy: one tile's K rows per query at a time, so output memory does not grow with the partition.
      return new Iterator<Row>() {
        private Iterator<Row> current = java.util.Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          while (!current.hasNext() && queries.hasNext()) {
            current = nextTile().iterator();
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

        private List<Row> nextTile() {
          List<Row> out = new ArrayList<>();
          tile.next(queries);
          int nd = d.rows();
          for (int i = 0; i < tile.rows; i++) {
            TopKHeap heap = new TopKHeap(k);
            for (int j = 0; j < nd; j++) {
              consider(heap, tile.ids[i], d.ids[j], tile.scores[i * nd + j]);
            }
            for (TopKHeap.Entry e : heap.entries()) {
              out.add(RowFactory.create(tile.ids[i], e.id, e.score));
            }
          }
          return out;
        }
      };
    }
  }
}
