package io.gtespark.job.cells;

import io.gtespark.job.vectors.TileRouting;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SQLExecution;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Puts each row of a vector table (id, vector, carried columns...) in its nearest cell: out come
 * (id, cell, cell_group, unit vector, carried columns...), a tile of rows routed per matrix
 * product. Rows arrive with a vector (null vectors are filtered before). Works on Spark's
 * internal rows: a vector goes from the scan to the router and on to the writer as one float
 * array, never as 384 boxed floats.
 */
public final class CellAssignment implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Column names of an index's vectors table, besides the carried ones. */
  public static final String ID = "id";
  public static final String CELL = "cell";
  public static final String CELL_GROUP = "cell_group";
  public static final String VECTOR = "vector";

  private final Broadcast<VectorBlock> centroids;
  private final Broadcast<int[]> groupOf;

  public CellAssignment(Broadcast<VectorBlock> centroids, Broadcast<int[]> groupOf) {
    this.centroids = centroids;
    this.groupOf = groupOf;
  }

  /** The output schema for input rows of {@code input}: (id, vector, carried...). */
  public static StructType schema(StructType input) {
    StructType out = new StructType().add(input.fields()[0].copy(ID, input.fields()[0].dataType(),
            input.fields()[0].nullable(), input.fields()[0].metadata()))
        .add(CELL, DataTypes.IntegerType, false)
        .add(CELL_GROUP, DataTypes.IntegerType, false)
        .add(VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    StructField[] fields = input.fields();
    for (int i = 2; i < fields.length; i++) {
      out = out.add(fields[i]);
    }
    return out;
  }

  /** The rows of {@code table} (id, vector, carried...), each with its cell and group: {@link #schema}. */
  public Dataset<Row> assign(Dataset<Row> table) {
    StructType in = table.schema();
    DataType[] types = new DataType[in.fields().length];
    for (int i = 0; i < types.length; i++) {
      types[i] = in.fields()[i].dataType();
    }
    // Planned as a SQL execution of its own, as Dataset.rdd() is, so that the scan reports the
    // files it opened (JobCosts counts them).
    QueryExecution qe = table.queryExecution();
    RDD<InternalRow> rows = SQLExecution.withNewExecutionId(qe, scala.Option.apply("gte: route rows to cells"),
        qe::toRdd);
    RDD<InternalRow> routed = rows.toJavaRDD().mapPartitions((Iterator<InternalRow> it) -> routed(it, types)).rdd();
    return ((org.apache.spark.sql.classic.SparkSession) table.sparkSession()).internalCreateDataFrame(routed,
        schema(in), false);
  }

  /**
   * The rows of cached unit-vector {@code blocks} (ids of {@code idType}), each with its cell and
   * group: (id, cell, cell_group, vector), the table read once for both training and routing.
   */
  public Dataset<Row> assign(SparkSession spark, JavaRDD<VectorBlock> blocks, DataType idType) {
    StructType schema = schema(new StructType().add(ID, idType, false)
        .add(VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false));
    // A block (at most 4,096 rows) at a time: a partition's routed rows are never all held at once.
    RDD<InternalRow> routed = blocks.flatMap((VectorBlock block) -> {
      scala.Function1<Object, Object> toCatalyst = CatalystTypeConverters.createToCatalystConverter(idType);
      int[] groups = groupOf.value();
      List<InternalRow> out = new ArrayList<>(block.rows());
      TileRouting.forEach(List.of(block).iterator(), centroids.value(), 1, (b, first, count, nearest, router) -> {
        int dim = b.dim();
        for (int i = 0; i < count; i++) {
          int row = first + i;
          int cell = nearest[i][0];
          out.add(new GenericInternalRow(new Object[] {toCatalyst.apply(b.id(row)), cell, groups[cell],
              UnsafeArrayData.fromPrimitiveArray(java.util.Arrays.copyOfRange(b.values(), row * dim,
                  (row + 1) * dim))}));
        }
      });
      return out.iterator();
    }).rdd();
    return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(routed, schema, false);
  }

  private Iterator<InternalRow> routed(Iterator<InternalRow> rows, DataType[] types) {
    return new Iterator<InternalRow>() {
      private final List<InternalRow> out = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        // The scan reuses its row objects: a buffered row is a copy.
        List<InternalRow> tile = new ArrayList<>(TileRouting.TILE);
        while (tile.size() < TileRouting.TILE && rows.hasNext()) {
          tile.add(rows.next().copy());
        }
        if (!tile.isEmpty()) {
          route(tile);
        }
        return !out.isEmpty();
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }

      private void route(List<InternalRow> tile) {
        List<Object> ids = new ArrayList<>(tile.size());
        List<float[]> vectors = new ArrayList<>(tile.size());
        for (InternalRow r : tile) {
          Object id = r.get(0, types[0]);
          ids.add(id);
          vectors.add(UnitVectorBlocks.unit(r.getArray(1), id));
        }
        int[] groups = groupOf.value();
        TileRouting.forEach(List.of(VectorBlock.of(ids, vectors)).iterator(), centroids.value(), 1,
            (block, first, count, nearest, router) -> {
              for (int i = 0; i < count; i++) {
                InternalRow r = tile.get(first + i);
                int cell = nearest[i][0];
                Object[] values = new Object[types.length + 2];
                values[0] = ids.get(first + i);
                values[1] = cell;
                values[2] = groups[cell];
                values[3] = UnsafeArrayData.fromPrimitiveArray(vectors.get(first + i));
                for (int c = 2; c < types.length; c++) {
                  values[c + 2] = r.isNullAt(c) ? null : r.get(c, types[c]);
                }
                out.add(new GenericInternalRow(values));
              }
            });
      }
    };
  }
}
