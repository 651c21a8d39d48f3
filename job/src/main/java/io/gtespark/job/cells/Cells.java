package io.gtespark.job.cells;

import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The cells of an inverted file as routing, packing and scoring see them: the unit centroids
 * (cell c at index c) and each cell's group, where a group is the unit of work and of storage. A
 * search trains them for one run ({@link CellTraining}); an index in the lake reads them back from
 * its centroids table ({@link StoredCells#cells}); the scorer cannot tell the two apart.
 */
public final class Cells implements Serializable {
  private static final long serialVersionUID = 1L;
  private final float[][] centroids;
  private final int[] groupOf;
  private final int groups;

  /** Cells whose groups are already known ({@code groupOf[c]} in [0, groups)). */
  public Cells(float[][] centroids, int[] groupOf, int groups) {
    if (centroids.length == 0 || groupOf.length != centroids.length) {
      throw new IllegalArgumentException(centroids.length + " centroids and " + groupOf.length + " cell groups");
    }
    this.centroids = centroids;
    this.groupOf = groupOf;
    this.groups = groups;
  }

  /**
   * Centroids put into {@code groups} groups by k-means over the centroids themselves, so that
   * neighbouring cells, which a query probes together, share a group; the cells are then numbered
   * group by group (group 0's first, in their trained order), so that a group's cells are one run
   * of numbers and the cells a query probes in a group lie close together: an index's reader
   * filters on a few short ranges of cell numbers, which Parquet's row-group statistics can use.
   */
  public static Cells grouped(float[][] centroids, int groups, long seed) {
    int g = Math.max(1, Math.min(groups, centroids.length));
    if (g == 1) {
      return new Cells(centroids, new int[centroids.length], 1);
    }
    int[] groupOf = SphericalKMeans.groupLocally(centroids, g, 10, seed);
    Integer[] order = new Integer[centroids.length];
    for (int c = 0; c < order.length; c++) {
      order[c] = c;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt((Integer c) -> groupOf[c]));
    float[][] numbered = new float[centroids.length][];
    int[] numberedGroupOf = new int[centroids.length];
    for (int c = 0; c < order.length; c++) {
      numbered[c] = centroids[order[c]];
      numberedGroupOf[c] = groupOf[order[c]];
    }
    return new Cells(numbered, numberedGroupOf, g);
  }

  /** The columns of an index's centroids table: one row a cell. */
  public static final StructType TABLE_SCHEMA = new StructType().add(CellAssignment.CELL, DataTypes.IntegerType, false)
      .add(CellAssignment.CELL_GROUP, DataTypes.IntegerType, false)
      .add("centroid", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  /** Cells from the rows of a centroids table ({@link #TABLE_SCHEMA}), {@code groups} groups. */
  public static Cells fromTable(List<Row> rows, int groups) {
    float[][] centroids = new float[rows.size()][];
    int[] groupOf = new int[rows.size()];
    for (Row r : rows) {
      int c = r.getInt(0);
      groupOf[c] = r.getInt(1);
      // A row read from the table holds a Scala sequence; one made by tableRows a Java list.
      List<?> v = r.get(2) instanceof List ? (List<?>) r.get(2) : r.getList(2);
      float[] a = new float[v.size()];
      for (int d = 0; d < a.length; d++) {
        a[d] = ((Number) v.get(d)).floatValue();
      }
      centroids[c] = a;
    }
    return new Cells(centroids, groupOf, groups);
  }

  /** These cells as the rows of a centroids table ({@link #TABLE_SCHEMA}). */
  public List<Row> tableRows() {
    List<Row> out = new ArrayList<>(centroids.length);
    for (int c = 0; c < centroids.length; c++) {
      List<Float> v = new ArrayList<>(centroids[c].length);
      for (float f : centroids[c]) {
        v.add(f);
      }
      out.add(RowFactory.create(c, groupOf[c], v));
    }
    return out;
  }

  /** How many cells there are. */
  public int nlist() {
    return centroids.length;
  }

  /** The vectors' dimension. */
  public int dimension() {
    return centroids[0].length;
  }

  /** The unit centroids, cell c at index c. */
  public float[][] centroids() {
    return centroids;
  }

  /** Each cell's group. */
  public int[] groupOf() {
    return groupOf;
  }

  /** How many groups there are. */
  public int groups() {
    return groups;
  }

  /** The centroids as one block, what {@link io.gtespark.udf.vectors.CellRouter} routes against. */
  public VectorBlock block() {
    return SphericalKMeans.Model.block(centroids);
  }
}
