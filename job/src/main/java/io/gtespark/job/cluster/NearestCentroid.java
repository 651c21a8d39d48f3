package io.gtespark.job.cluster;

import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.CellRouter;
import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The final assignment of a cosine k-means: each row's nearest centroid ({@code cluster}) and
 * {@code distance} = 1 - cosine to it, computed a tile of rows at a time with the SGEMM router the
 * fit itself uses, instead of a model's per-row predict and a distance UDF over boxed arrays.
 */
final class NearestCentroid implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final int TILE = 256;
  private final float[][] centroids;
  private final int vectorField;

  private NearestCentroid(float[][] centroids, int vectorField) {
    this.centroids = centroids;
    this.vectorField = vectorField;
  }

  /** {@code rows} (with a non-null {@link VectorTable#VECTOR}) plus {@code cluster} and {@code distance}. */
  static Dataset<Row> assign(Dataset<Row> rows, float[][] centroids) {
    StructType schema = rows.schema().add("cluster", DataTypes.IntegerType, false)
        .add("distance", DataTypes.DoubleType, false);
    return rows.mapPartitions(new NearestCentroid(centroids, rows.schema().fieldIndex(VectorTable.VECTOR)),
        Encoders.row(schema));
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    List<Object> ids = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    for (int c = 0; c < centroids.length; c++) {
      ids.add(c);
      rows.add(centroids[c]);
    }
    CellRouter router = new CellRouter(VectorBlock.of(ids, rows));
    return new Iterator<Row>() {
      private final List<Row> out = new ArrayList<>(TILE);
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        List<Row> tile = new ArrayList<>(TILE);
        while (tile.size() < TILE && input.hasNext()) {
          tile.add(input.next());
        }
        if (tile.isEmpty()) {
          return false;
        }
        int dim = centroids[0].length;
        float[] flat = new float[tile.size() * dim];
        for (int i = 0; i < tile.size(); i++) {
          float[] v = VectorRows.unit(tile.get(i), vectorField);
          if (v.length != dim) {
            throw VectorRows.dimensionMismatch(v.length, dim);
          }
          System.arraycopy(v, 0, flat, i * dim, dim);
        }
        int[][] nearest = new int[tile.size()][1];
        router.nearest(flat, 0, tile.size(), 1, nearest);
        for (int i = 0; i < tile.size(); i++) {
          Row r = tile.get(i);
          Object[] values = new Object[r.length() + 2];
          for (int f = 0; f < r.length(); f++) {
            values[f] = r.get(f);
          }
          int cell = nearest[i][0];
          values[r.length()] = cell;
          values[r.length() + 1] = Math.max(0.0, 1.0 - router.score(i, cell));
          out.add(RowFactory.create(values));
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }
    };
  }
}
