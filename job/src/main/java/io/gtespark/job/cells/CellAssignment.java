package io.gtespark.job.cells;

import io.gtespark.job.vectors.TileRouting;
import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Puts each row of a vector table (id, vector, carried columns...) in its nearest cell: out come
 * (id, cell, cell_group, unit vector, carried columns...), a tile of rows routed per matrix
 * product. Rows arrive with a vector (null vectors are filtered before).
 */
public final class CellAssignment implements MapPartitionsFunction<Row, Row> {
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

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    return new Iterator<Row>() {
      private final List<Row> out = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        List<Row> tile = new ArrayList<>(TileRouting.TILE);
        while (tile.size() < TileRouting.TILE && rows.hasNext()) {
          tile.add(rows.next());
        }
        if (!tile.isEmpty()) {
          route(tile);
        }
        return !out.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }

      private void route(List<Row> tile) {
        List<Object> ids = new ArrayList<>(tile.size());
        List<float[]> vectors = new ArrayList<>(tile.size());
        for (Row r : tile) {
          ids.add(r.get(0));
          List<Float> v = r.getList(1);
          float[] a = new float[v.size()];
          for (int d = 0; d < a.length; d++) {
            Float f = v.get(d);
            if (f == null) {
              throw new IllegalArgumentException("A vector with a null element (id " + r.get(0) + "): vectors must "
                  + "be arrays of numbers; re-embed the table or drop the row.");
            }
            a[d] = f;
          }
          vectors.add(VectorRows.unit(a, r.get(0)));
        }
        int[] groups = groupOf.value();
        TileRouting.forEach(List.of(VectorBlock.of(ids, vectors)).iterator(), centroids.value(), 1,
            (block, first, count, nearest, router) -> {
              for (int i = 0; i < count; i++) {
                Row r = tile.get(first + i);
                int cell = nearest[i][0];
                Object[] values = new Object[r.size() + 2];
                values[0] = r.get(0);
                values[1] = cell;
                values[2] = groups[cell];
                values[3] = vectors.get(first + i);
                for (int c = 2; c < r.size(); c++) {
                  values[c + 2] = r.get(c);
                }
                out.add(RowFactory.create(values));
              }
            });
      }
    };
  }
}
