package io.gtespark.udf.vectors;

/**
 * The scoring kernel of every search: scores a block of query vectors against a block of
 * document vectors in tiles of {@link #TILE_ROWS} queries (one SGEMM each) and offers each score
 * to its query's bounded top-K heap. Memory: one tile of scores, reused. Not thread-safe.
 */
public final class BlockScorer {
  /** Query rows scored per matrix product: a 256 x 4096 tile of scores is 4 MiB. */
  public static final int TILE_ROWS = 256;

  private final boolean excludeSelf;
  private final double minScore;
  private float[] scores = new float[0];
  private long pairsScored;

  /** With {@code excludeSelf} a row never matches its own id; scores below {@code minScore} are dropped. */
  public BlockScorer(boolean excludeSelf, double minScore) {
    this.excludeSelf = excludeSelf;
    this.minScore = minScore;
  }

  /** Offers every (query, doc) score to {@code heaps[query row]}. */
  public void score(VectorBlock queries, VectorBlock docs, TopKHeap[] heaps) {
    score(queries, docs, heaps, null);
  }

  /**
   * As {@link #score(VectorBlock, VectorBlock, TopKHeap[])}, and when {@code docHeaps} is given
   * also offers each score to {@code docHeaps[doc row]} with the query's id: in a search of a
   * table against itself, one matrix product then serves both rows of every pair.
   */
  public void score(VectorBlock queries, VectorBlock docs, TopKHeap[] heaps, TopKHeap[] docHeaps) {
    int nd = docs.rows();
    int nq = queries.rows();
    if (nd == 0 || nq == 0) {
      return;
    }
    if (queries.dim != docs.dim) {
      throw VectorRows.dimensionMismatch(queries.dim, docs.dim);
    }
    int tile = Math.min(TILE_ROWS, nq);
    if (scores.length < tile * nd) {
      scores = new float[tile * nd];
    }
    double[] docFloors = docHeaps == null ? null : floors(docHeaps, nd);
    for (int first = 0; first < nq; first += TILE_ROWS) {
      int count = Math.min(TILE_ROWS, nq - first);
      docs.scoreRows(queries.data, first, count, scores);
      for (int i = 0; i < count; i++) {
        offerRow(scores, i * nd, nd, heaps[first + i], queries.ids[first + i], docs.ids, 0, docHeaps, docFloors,
            minScore, excludeSelf);
      }
    }
    pairsScored += (long) nq * nd;
  }

  /** The {@link TopKHeap#floor} of each of the first {@code n} heaps. */
  public static double[] floors(TopKHeap[] heaps, int n) {
    double[] floors = new double[n];
    for (int j = 0; j < n; j++) {
      floors[j] = heaps[j].floor();
    }
    return floors;
  }

  /**
   * Offers one query's scores against {@code n} corpus rows ({@code scores[row .. row + n)}, for
   * the rows {@code docIds[docFrom ..]}) to the query's heap and, when {@code docHeaps} is given,
   * to those rows' heaps with the query's id (a self search: one product serves both rows of a
   * pair). {@code docFloors} holds the doc heaps' {@link TopKHeap#floor}s and is kept current,
   * so a score that enters no heap costs two comparisons. The one per-pair loop of exact and
   * IVF search alike.
   */
  public static void offerRow(float[] scores, int row, int n, TopKHeap heap, Object queryId, Object[] docIds,
      int docFrom, TopKHeap[] docHeaps, double[] docFloors, double minScore, boolean excludeSelf) {
    double queryFloor = heap.floor();
    for (int j = 0; j < n; j++) {
      double s = scores[row + j];
      int doc = docFrom + j;
      boolean forQuery = s >= queryFloor;
      boolean forDoc = docHeaps != null && s >= docFloors[doc];
      // The self check is an equals() call: only for the few pairs that would enter a heap.
      if (!(forQuery || forDoc) || s < minScore || excludeSelf && queryId.equals(docIds[doc])) {
        continue;
      }
      if (forQuery) {
        heap.offer(s, docIds[doc]);
        queryFloor = heap.floor();
      }
      if (forDoc) {
        docHeaps[doc].offer(s, queryId);
        docFloors[doc] = docHeaps[doc].floor();
      }
    }
  }

  /** Pairs scored so far. */
  public long pairsScored() {
    return pairsScored;
  }
}
