package io.gtespark.job.search;

import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.BlockScorer;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Exact top-K by cosine, streamed as data: both sides become blocks of unit vectors (at most
 * {@code blockRows} each), persisted where they were made; every (query block, corpus block)
 * pair is scored with one SGEMM per 256-query tile ({@link BlockScorer}), the task keeping one
 * bounded heap per query of its current query block; partial top-K lists then merge per query as
 * a bounded aggregate ({@link TopKCandidates}). Nothing is collected to the driver, the plan has
 * the same size for any input, and a task holds two blocks, one tile of scores and K entries
 * per query of one block, however large the tables. The cost is queries x documents dot products.
 */
public final class ExactTopK {
  private ExactTopK() {}

  /**
   * For every query (id, vector) its {@code k} best corpus rows. With {@code excludeSelf} a row
   * never matches its own id; scores below {@code minScore} are dropped. {@code self} says that
   * queries and corpus are one table, blocked once. {@code nq} and {@code nd} are the two sides'
   * rows, counted once by the caller (who reports them too). What is persisted is added to {@code cache}.
   */
  public static Dataset<Row> topK(SparkSession spark, Dataset<Row> queries, long nq, Dataset<Row> corpus, long nd,
      int k, boolean excludeSelf, double minScore, int blockRows, boolean self, SearchCache cache,
      LongAccumulator pairsScored) {
    if (nq == 0 || nd == 0) {
      return spark.createDataFrame(new ArrayList<>(), TopKCandidates.schema(queries, corpus));
    }
    // Enough tasks to use every core: query blocks spread over the cores first, and each query
    // partition meets the corpus in as many pieces as it takes to reach the target.
    int target = 2 * spark.sparkContext().defaultParallelism();
    int queryParts = partitions(nq, blockRows, target);
    int corpusParts = partitions(nd, blockRows, Math.max(1, (target + queryParts - 1) / queryParts));
    JavaRDD<VectorBlock> queryBlocks = cache.add(blocks(queries, queryParts, blockRows)
        .persist(StorageLevel.MEMORY_AND_DISK()));
    // A cartesian partition reads its corpus piece once per query block; with a single query block
    // (a recall sample, a few queries) it is read once, and persisting it would only copy the corpus.
    JavaRDD<VectorBlock> corpusBlocks = self && corpusParts <= queryParts
        ? queryBlocks.coalesce(corpusParts)
        : nq <= blockRows ? blocks(corpus, corpusParts, blockRows)
        : cache.add(blocks(corpus, corpusParts, blockRows).persist(StorageLevel.MEMORY_AND_DISK()));
    JavaRDD<Tuple2<Object, TopKHeap>> partial = queryBlocks.cartesian(corpusBlocks)
        .mapPartitions(new ScanBlockPairs(k, excludeSelf, minScore, pairsScored));
    return TopKCandidates.rank(spark, partial, TopKCandidates.schema(queries, corpus));
  }

  /** Partitions for a side of {@code rows}: at most {@code want}, and no more than it has blocks. */
  static int partitions(long rows, int blockRows, int want) {
    long blocks = (rows + blockRows - 1) / blockRows;
    return (int) Math.max(1, Math.min(want, blocks));
  }

  /** The (id, vector) rows of {@code side} as unit-vector blocks in {@code parts} partitions. */
  private static JavaRDD<VectorBlock> blocks(Dataset<Row> side, int parts, int blockRows) {
    Dataset<Row> rows = side.select(VectorTable.ID, VectorTable.VECTOR);
    int have = rows.rdd().getNumPartitions();
    rows = have > parts ? rows.coalesce(parts) : have < parts ? rows.repartition(parts) : rows;
    return UnitVectorBlocks.read(rows, blockRows, null);
  }

  /**
   * Scores the (query block, corpus block) pairs of one cartesian partition. Spark yields them
   * query block by query block, so the heaps of the current query block collect its candidates
   * over every corpus block of the partition and are emitted when the next query block begins.
   */
  static final class ScanBlockPairs
      implements FlatMapFunction<Iterator<Tuple2<VectorBlock, VectorBlock>>, Tuple2<Object, TopKHeap>> {
    private static final long serialVersionUID = 1L;
    private final int k;
    private final boolean excludeSelf;
    private final double minScore;
    private final LongAccumulator pairsScored;

    ScanBlockPairs(int k, boolean excludeSelf, double minScore, LongAccumulator pairsScored) {
      this.k = k;
      this.excludeSelf = excludeSelf;
      this.minScore = minScore;
      this.pairsScored = pairsScored;
    }

    @Override
    public Iterator<Tuple2<Object, TopKHeap>> call(Iterator<Tuple2<VectorBlock, VectorBlock>> pairs) {
      BlockScorer scorer = new BlockScorer(excludeSelf, minScore);
      return new Iterator<Tuple2<Object, TopKHeap>>() {
        private Iterator<Tuple2<Object, TopKHeap>> ready = Collections.emptyIterator();
        private Tuple2<VectorBlock, VectorBlock> pending;

        @Override
        public boolean hasNext() {
          while (!ready.hasNext() && (pending != null || pairs.hasNext())) {
            ready = nextQueryBlock();
          }
          return ready.hasNext();
        }

        @Override
        public Tuple2<Object, TopKHeap> next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return ready.next();
        }

        private Iterator<Tuple2<Object, TopKHeap>> nextQueryBlock() {
          Tuple2<VectorBlock, VectorBlock> first = pending != null ? pending : pairs.next();
          pending = null;
          VectorBlock queries = first._1();
          TopKHeap[] heaps = new TopKHeap[queries.rows()];
          for (int i = 0; i < heaps.length; i++) {
            heaps[i] = new TopKHeap(k);
          }
          long before = scorer.pairsScored();
          scorer.score(queries, first._2(), heaps);
          while (pairs.hasNext()) {
            Tuple2<VectorBlock, VectorBlock> p = pairs.next();
            if (p._1() != queries) {
              pending = p;
              break;
            }
            scorer.score(queries, p._2(), heaps);
          }
          if (pairsScored != null) {
            pairsScored.add(scorer.pairsScored() - before);
          }
          List<Tuple2<Object, TopKHeap>> out = new ArrayList<>(heaps.length);
          for (int i = 0; i < heaps.length; i++) {
            if (!heaps[i].isEmpty()) {
              out.add(new Tuple2<>(queries.id(i), heaps[i]));
            }
          }
          return out.iterator();
        }
      };
    }
  }
}
