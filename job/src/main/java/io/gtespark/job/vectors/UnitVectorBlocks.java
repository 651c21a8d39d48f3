package io.gtespark.job.vectors;

import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;

/**
 * A vector table read once and cached as blocks of unit vectors with their ids (one row-major
 * matrix per block), so that every later pass (sampling, k-means iterations, assignment,
 * silhouette) reads matrices from memory instead of decoding Parquet and boxing each float again.
 * Rows without a vector are counted, not cached.
 */
public final class UnitVectorBlocks {
  /** Rows a cached block holds at most (fewer for vectors wider than 384). */
  static final int BLOCK_ROWS = 4096;

  private final JavaRDD<VectorBlock> blocks;
  private final long rows;
  private final long nullRows;

  private UnitVectorBlocks(JavaRDD<VectorBlock> blocks, long rows, long nullRows) {
    this.blocks = blocks;
    this.rows = rows;
    this.nullRows = nullRows;
  }

  /**
   * Reads {@code table}'s (id, vector) rows in one Spark job, caches their unit vectors as blocks
   * and counts the rows with and without a vector. The counts are exact: the rows without one are
   * counted by the same job's tasks, whose updates Spark applies once per partition.
   */
  public static UnitVectorBlocks cache(Dataset<Row> table) {
    return cache(table, BLOCK_ROWS);
  }

  /** As {@link #cache(Dataset)}, with blocks of at most {@code blockRows} rows. */
  public static UnitVectorBlocks cache(Dataset<Row> table, int blockRows) {
    LongAccumulator nulls = table.sparkSession().sparkContext().longAccumulator("gte-null-vectors");
    return persisted(read(table, blockRows, nulls), nulls);
  }

  /** Rows a partition of a sample holds at most when the table has enough partitions to merge. */
  static final long SAMPLE_ROWS_PER_PARTITION = 50_000;

  /**
   * A seeded sample of these rows, each kept with chance {@code fraction}, cached as blocks of its
   * own (one Spark job over the cache) on a number of partitions sized by the sample's rows (at
   * least one per core), not the table's: every pass over a sample then runs as many tasks as its
   * rows need, however many partitions the table has. Release it when done.
   */
  public UnitVectorBlocks sample(double fraction, long seed) {
    long expected = (long) Math.ceil(fraction * rows);
    int cores = blocks.context().defaultParallelism();
    int parts = (int) Math.min(blocks.getNumPartitions(),
        Math.max(cores, (expected + SAMPLE_ROWS_PER_PARTITION - 1) / SAMPLE_ROWS_PER_PARTITION));
    return persisted(bernoulli(blocks, fraction, seed).coalesce(Math.max(1, parts)), null);
  }

  /**
   * The rows of {@code blocks}, each kept with chance {@code fraction} by a random draw seeded per
   * partition (the same rows on every run over the same blocks), as new blocks; not persisted.
   */
  public static JavaRDD<VectorBlock> bernoulli(JavaRDD<VectorBlock> blocks, double fraction, long seed) {
    return blocks.mapPartitionsWithIndex((p, it) -> {
      java.util.Random random = new java.util.Random(seed * 1_000_003L + p);
      List<VectorBlock> out = new ArrayList<>();
      while (it.hasNext()) {
        VectorBlock b = it.next();
        List<Object> ids = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < b.rows(); i++) {
          if (fraction >= 1.0 || random.nextDouble() < fraction) {
            ids.add(b.id(i));
            vectors.add(java.util.Arrays.copyOfRange(b.values(), i * b.dim(), (i + 1) * b.dim()));
          }
        }
        if (!ids.isEmpty()) {
          out.add(VectorBlock.of(ids, vectors));
        }
      }
      return out.iterator();
    }, true);
  }

  /** {@code blocks} persisted and counted by one job; {@code nulls}, when given, is read after it. */
  private static UnitVectorBlocks persisted(JavaRDD<VectorBlock> blocks, LongAccumulator nulls) {
    blocks.persist(StorageLevel.MEMORY_AND_DISK());
    long rows;
    try {
      rows = blocks.map(b -> (long) b.rows()).fold(0L, Long::sum);
    } catch (RuntimeException e) {
      blocks.unpersist(false);
      throw e;
    }
    return new UnitVectorBlocks(blocks, rows, nulls == null ? 0 : nulls.value());
  }

  /** The cached blocks. */
  public JavaRDD<VectorBlock> blocks() {
    return blocks;
  }

  /** Rows with a vector. */
  public long rows() {
    return rows;
  }

  /** Rows whose vector is null (left out of the blocks). */
  public long nullRows() {
    return nullRows;
  }

  /** Frees the cache. */
  public void release() {
    blocks.unpersist(false);
  }

  /**
   * The (id, vector) rows of {@code table} as blocks of at most {@code blockRows} unit vectors (and
   * at most {@link VectorRows#MAX_BLOCK_VALUES} values), not persisted. Rows without a vector are
   * left out and, when {@code nulls} is given, counted. Reads Spark's internal rows: a vector is
   * copied from its array in one call instead of passing through 384 boxed floats.
   */
  public static JavaRDD<VectorBlock> read(Dataset<Row> table, int blockRows, LongAccumulator nulls) {
    Dataset<Row> two = table.select(VectorTable.ID, VectorTable.VECTOR);
    DataType idType = two.schema().apply(0).dataType();
    // Planned as a SQL execution of its own, as Dataset.rdd() is, so that the scan reports the
    // files it opened (JobCosts counts them) and the read shows in the SQL tab.
    org.apache.spark.sql.execution.QueryExecution qe = two.queryExecution();
    org.apache.spark.rdd.RDD<InternalRow> rows = org.apache.spark.sql.execution.SQLExecution.withNewExecutionId(qe,
        scala.Option.apply("gte: read vectors"), qe::toRdd);
    return rows.toJavaRDD().mapPartitions((Iterator<InternalRow> it) -> {
      scala.Function1<Object, Object> toId = CatalystTypeConverters.createToScalaConverter(idType);
      return VectorRows.blocks(new WithVector(it, nulls), blockRows, r -> toId.apply(r.get(0, idType)),
          (r, id) -> unit(r.getArray(1), id));
    });
  }

  /** The rows whose vector (field 1) is not null; the others are counted when {@code nulls} is given. */
  private static final class WithVector implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private final LongAccumulator nulls;
    private InternalRow next;

    WithVector(Iterator<InternalRow> rows, LongAccumulator nulls) {
      this.rows = rows;
      this.nulls = nulls;
    }

    @Override
    public boolean hasNext() {
      while (next == null && rows.hasNext()) {
        InternalRow r = rows.next();
        if (!r.isNullAt(1)) {
          next = r;
        } else if (nulls != null) {
          nulls.add(1);
        }
      }
      return next != null;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      InternalRow r = next;
      next = null;
      return r;
    }
  }

  /** A vector array as a unit float vector; an error naming the row for NaN, infinity or a null element. */
  public static float[] unit(ArrayData array, Object id) {
    for (int i = 0; i < array.numElements(); i++) {
      if (array.isNullAt(i)) {
        throw new IllegalArgumentException("A vector with a null element (id " + id + "): vectors must be arrays "
            + "of numbers; re-embed the table or drop the row.");
      }
    }
    return VectorRows.unit(array.toFloatArray(), id);
  }
}
