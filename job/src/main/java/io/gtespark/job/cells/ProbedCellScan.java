package io.gtespark.job.cells;

import io.gtespark.udf.vectors.BlockScorer;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Scores a query set small enough to broadcast against stored rows that know their cell (an
 * index in the lake): each task reads its share of the probed groups' rows and scores each
 * cell's rows against the queries that probe that cell, one matrix product per cell and chunk.
 * The corpus is read once, never routed again and never shuffled; only the queries' partial
 * top-K lists cross the network. A query set too large to broadcast goes through the cells'
 * packet shuffle instead ({@link CellSearch#topKInCells}).
 */
final class ProbedCellScan implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Rows a task buffers before it scores them: 16,384 rows of 384 floats are 25 MB. */
  private static final int BUFFERED_ROWS = 16_384;

  private final VectorBlock queries;
  /** Cell c's probing queries, as rows of {@link #queries}; null when none probes it. */
  private final int[][] queriesOfCell;

  private ProbedCellScan(VectorBlock queries, int[][] queriesOfCell) {
    this.queries = queries;
    this.queriesOfCell = queriesOfCell;
  }

  /** The queries and the cells each probes, gathered from their routed blocks (on the driver). */
  static ProbedCellScan of(List<RoutedBlock> routed, int nlist) {
    List<Object> ids = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    List<List<Integer>> probing = new ArrayList<>(nlist);
    for (int c = 0; c < nlist; c++) {
      probing.add(null);
    }
    for (RoutedBlock b : routed) {
      int dim = b.block.dim();
      for (int i = 0; i < b.block.rows(); i++) {
        int q = ids.size();
        ids.add(b.block.id(i));
        vectors.add(java.util.Arrays.copyOfRange(b.block.values(), i * dim, (i + 1) * dim));
        for (int p = 0; p < b.m; p++) {
          int cell = b.cells[i * b.m + p];
          if (probing.get(cell) == null) {
            probing.set(cell, new ArrayList<>());
          }
          probing.get(cell).add(q);
        }
      }
    }
    int[][] queriesOfCell = new int[nlist][];
    for (int c = 0; c < nlist; c++) {
      if (probing.get(c) != null) {
        queriesOfCell[c] = probing.get(c).stream().mapToInt(Integer::intValue).toArray();
      }
    }
    return new ProbedCellScan(VectorBlock.of(ids, vectors), queriesOfCell);
  }

  /**
   * Each query's partial top-{@code k} over the (id, cell, unit vector) rows of {@code rows}, one
   * list per query and task that met it, for {@link TopKCandidates#rank}. {@code bytesRead} adds
   * up what the reading tasks read (Spark's input metrics, which do not see Parquet's vectored
   * reads: set {@code spark.hadoop.parquet.hadoop.vectored.io.enabled=false} to measure them).
   */
  static JavaRDD<Tuple2<Object, TopKHeap>> partials(Dataset<Row> rows, Broadcast<ProbedCellScan> scan, int k,
      double minScore, LongAccumulator pairsScored, LongAccumulator bytesRead) {
    DataType idType = rows.schema().apply(0).dataType();
    // Planned as a SQL execution of its own so that the scan reports the files it opened.
    org.apache.spark.sql.execution.QueryExecution qe = rows.queryExecution();
    org.apache.spark.rdd.RDD<InternalRow> internal = org.apache.spark.sql.execution.SQLExecution.withNewExecutionId(
        qe, scala.Option.apply("gte: read the probed cells"), qe::toRdd);
    return internal.toJavaRDD().mapPartitions((Iterator<InternalRow> it) -> {
      scala.Function1<Object, Object> toId = CatalystTypeConverters.createToScalaConverter(idType);
      Task task = new Task(scan.value(), k, minScore);
      while (it.hasNext()) {
        InternalRow r = it.next();
        if (!r.isNullAt(2)) {
          task.add(toId.apply(r.get(0, idType)), r.getInt(1), r.getArray(2).toFloatArray());
        }
      }
      task.flush();
      pairsScored.add(task.scorer.pairsScored());
      bytesRead.add(org.apache.spark.TaskContext.get().taskMetrics().inputMetrics().bytesRead());
      return task.lists().iterator();
    });
  }

  /** One task's buffered rows by cell and its queries' heaps. */
  private static final class Task {
    private final ProbedCellScan scan;
    private final int k;
    private final BlockScorer scorer;
    private final TopKHeap[] heaps;
    private final Map<Integer, List<Object>> idsOf = new HashMap<>();
    private final Map<Integer, List<float[]>> vectorsOf = new HashMap<>();
    private int buffered;

    Task(ProbedCellScan scan, int k, double minScore) {
      this.scan = scan;
      this.k = k;
      this.scorer = new BlockScorer(false, minScore);
      this.heaps = new TopKHeap[scan.queries.rows()];
    }

    void add(Object id, int cell, float[] vector) {
      if (cell < 0 || cell >= scan.queriesOfCell.length) {
        throw new IllegalStateException("A row of the index (id " + id + ") is in cell " + cell + ", which the "
            + "index does not have: its tables do not belong together; rebuild it.");
      }
      if (scan.queriesOfCell[cell] == null) {
        return; // a cell of a probed group that no query probes
      }
      idsOf.computeIfAbsent(cell, c -> new ArrayList<>()).add(id);
      vectorsOf.computeIfAbsent(cell, c -> new ArrayList<>()).add(vector);
      if (++buffered >= BUFFERED_ROWS) {
        flush();
      }
    }

    /** Scores every buffered cell against the queries that probe it. */
    void flush() {
      VectorBlock all = scan.queries;
      int dim = all.dim();
      for (Map.Entry<Integer, List<Object>> e : idsOf.entrySet()) {
        int[] probing = scan.queriesOfCell[e.getKey()];
        List<Object> qids = new ArrayList<>(probing.length);
        List<float[]> qvecs = new ArrayList<>(probing.length);
        TopKHeap[] theirs = new TopKHeap[probing.length];
        for (int i = 0; i < probing.length; i++) {
          int q = probing[i];
          qids.add(all.id(q));
          qvecs.add(java.util.Arrays.copyOfRange(all.values(), q * dim, (q + 1) * dim));
          if (heaps[q] == null) {
            heaps[q] = new TopKHeap(k);
          }
          theirs[i] = heaps[q];
        }
        scorer.score(VectorBlock.of(qids, qvecs), VectorBlock.of(e.getValue(), vectorsOf.get(e.getKey())), theirs);
      }
      idsOf.clear();
      vectorsOf.clear();
      buffered = 0;
    }

    List<Tuple2<Object, TopKHeap>> lists() {
      List<Tuple2<Object, TopKHeap>> out = new ArrayList<>();
      for (int q = 0; q < heaps.length; q++) {
        if (heaps[q] != null && !heaps[q].isEmpty()) {
          out.add(new Tuple2<>(scan.queries.id(q), heaps[q]));
        }
      }
      return out;
    }
  }
}
