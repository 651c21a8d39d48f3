package io.gtespark.job.index;

import io.gtespark.job.cells.CellSearch;
import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.model.ModelIdentity;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * The top-K rows of an index for each query (query_id, doc_id, score, rank, then the carried
 * columns asked for): what {@code similarity --index} writes and {@code gte_search} returns, so
 * that the two give the same rows.
 */
public final class IndexSearch {
  private IndexSearch() {}

  /** What a search found: the rows to write or return, and the search's figures. */
  public static final class Found {
    /** query_id, doc_id, score, rank and the carried columns asked for. */
    public final Dataset<Row> rows;
    /** The search itself: queries with a vector, cells, groups read, recall. */
    public final CellSearch.Result search;
    /** The model of the result's vectors (the index's, or the queries' when the index records none). */
    public final ModelIdentity identity;

    private Found(Dataset<Row> rows, CellSearch.Result search, ModelIdentity identity) {
      this.rows = rows;
      this.search = search;
      this.identity = identity;
    }
  }

  /**
   * The model both sides share; a usage error when the index and the queries were embedded with
   * different models (their scores would be meaningless).
   */
  public static ModelIdentity sharedModel(LakeIndex index, VectorTable queries) {
    if (index.identity() != null && queries.identity() != null && !index.identity().sameModel(queries.identity())) {
      throw new UsageException("The vectors of index " + index.path() + " were made with " + index.identity()
          + " and the queries' with " + queries.identity() + "; scores between different models are meaningless. "
          + "Embed the queries with the index's model (--model and its settings, or spark.gte.* in SQL).");
    }
    return index.identity() != null ? index.identity() : queries.identity();
  }

  /**
   * Routes {@code queries} to {@code settings.nprobe} cells of {@code index} and scores them
   * against the rows of those cells only; {@code carried} columns of the index are added by
   * doc_id. Lazy: nothing is written, and {@code cache} holds what the rows need until released.
   */
  public static Found search(SparkSession spark, LakeIndex index, VectorTable queries, List<String> carried, int k,
      double minScore, CellSettings settings, int recallSample, SearchCache cache, LongAccumulator pairsScored) {
    index.requireCarried(carried);
    ModelIdentity identity = sharedModel(index, queries);
    CellSearch.Result found = CellSearch.topKInCells(spark, queries.withVectors(), index, k, minScore, settings,
        recallSample, cache, pairsScored);
    return new Found(index.withCarried(found.topK, carried), found, identity);
  }
}
