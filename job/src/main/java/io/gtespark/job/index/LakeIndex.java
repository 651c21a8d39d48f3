package io.gtespark.job.index;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.cells.CellAssignment;
import io.gtespark.job.cells.Cells;
import io.gtespark.job.cells.StoredCells;
import io.gtespark.job.search.TopKCandidates;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.model.ModelIdentity;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * An index built by the {@code index} stage, opened at its current build: its centroids and cell
 * groups (read once, nlist rows), and its vectors table read by cell group, so that a search
 * reads only the groups its queries probe.
 */
public final class LakeIndex implements StoredCells {
  private final String path;
  private final IndexManifest manifest;
  private Cells cells;
  private final Dataset<Row> vectors;
  private final ModelIdentity identity;

  private LakeIndex(String path, IndexManifest manifest, Dataset<Row> vectors, ModelIdentity identity) {
    this.path = path;
    this.manifest = manifest;
    this.vectors = vectors;
    this.identity = identity;
  }

  /**
   * Opens the index at folder {@code index}, or registered as catalog name {@code index}
   * ({@link CatalogIndex}); a usage error when it holds none (or no finished build). Reads the
   * manifest and the vectors table's schema; the centroids are read when first asked for.
   */
  public static LakeIndex open(SparkSession spark, String index) {
    String path = CatalogIndex.resolve(spark, index);
    IndexManifest manifest = IndexManifest.read(path, spark.sparkContext().hadoopConfiguration());
    if (manifest == null) {
      throw new UsageException("Index " + index + " has no " + IndexManifest.FILE + ": it is not an index (nor a "
          + "name index --output-table registered), or its first build did not finish. Build it with: index --input "
          + "TABLE --output " + index);
    }
    String vectorsPath = manifest.vectors(path);
    return new LakeIndex(path, manifest, spark.read().format("delta").load(vectorsPath),
        OutputIdentity.readDeltaProperties(spark, vectorsPath));
  }

  /** The model that made the indexed vectors, or null when the source did not record it. */
  public ModelIdentity identity() {
    return identity;
  }

  /** The index's manifest. */
  public IndexManifest manifest() {
    return manifest;
  }

  /** The folder the index was opened at. */
  public String path() {
    return path;
  }

  /** Refuses, naming them, columns this index does not carry. */
  public void requireCarried(List<String> columns) {
    String with = manifest.get("with");
    List<String> carried = with == null || with.isEmpty() ? List.of() : Arrays.asList(with.split(","));
    for (String c : columns) {
      if (!carried.contains(c)) {
        throw new UsageException("Index " + path + " does not carry column '" + c + "' (it carries " + carried
            + "); build it with index --with " + c + " to return it with results.");
      }
    }
  }

  /**
   * {@code results} (doc_id ...) with the carried columns {@code columns} of each doc_id's row
   * added; a usage error naming the ones the index does not carry. Only the id and those columns
   * of the index are read, not its vectors.
   */
  public Dataset<Row> withCarried(Dataset<Row> results, List<String> columns) {
    if (columns.isEmpty()) {
      return results;
    }
    requireCarried(columns);
    org.apache.spark.sql.Column[] picked = new org.apache.spark.sql.Column[columns.size() + 1];
    picked[0] = vectors.col(CellAssignment.ID).as("_gte_doc_id");
    for (int i = 0; i < columns.size(); i++) {
      picked[i + 1] = vectors.col(columns.get(i));
    }
    Dataset<Row> payload = vectors.select(picked);
    return results.join(payload, results.col("doc_id").equalTo(payload.col("_gte_doc_id")), "left")
        .drop("_gte_doc_id");
  }

  @Override
  public synchronized Cells cells() {
    if (cells == null) {
      List<Row> rows = vectors.sparkSession().read().format("delta").load(manifest.centroids(path))
          .select(CellAssignment.CELL, CellAssignment.CELL_GROUP, "centroid").collectAsList();
      int nlist = Integer.parseInt(manifest.get("nlist"));
      if (rows.size() != nlist) {
        throw new IllegalStateException("Index " + path + " records " + nlist + " cells but its centroids table "
            + manifest.centroids(path) + " holds " + rows.size() + "; rebuild it with index --mode overwrite.");
      }
      cells = Cells.fromTable(rows, Integer.parseInt(manifest.get("cellGroups")));
    }
    return cells;
  }

  /** The schema of the rows a search of this index returns with {@code carried} columns for queries of {@code queryId}. */
  public StructType resultSchema(DataType queryId, List<String> carried) {
    requireCarried(carried);
    StructType schema = TopKCandidates.schema(queryId, vectors.schema().apply(CellAssignment.ID).dataType());
    for (String c : carried) {
      // Added by a left join on doc_id (withCarried): nullable whatever the source said.
      schema = schema.add(c, vectors.schema().apply(c).dataType(), true);
    }
    return schema;
  }

  @Override
  public Dataset<Row> rowsOfCells(int[] probed) {
    return idsAndVectors(probedRows(probed));
  }

  @Override
  public Dataset<Row> cellRowsOfCells(int[] probed) {
    Dataset<Row> rows = probedRows(probed);
    return rows.select(rows.col(CellAssignment.ID), rows.col(CellAssignment.CELL), rows.col(CellAssignment.VECTOR));
  }

  /** The rows of the probed cells' groups, filtered as {@link ProbedCellFilter#of(int[], int[])} says. */
  private Dataset<Row> probedRows(int[] probed) {
    return vectors.where(ProbedCellFilter.of(probed, cells().groupOf()));
  }

  @Override
  public long rows() {
    return manifest.getLong("rows");
  }

  @Override
  public Dataset<Row> allRows() {
    return idsAndVectors(vectors);
  }

  private static Dataset<Row> idsAndVectors(Dataset<Row> rows) {
    return rows.select(rows.col(CellAssignment.ID).as(VectorTable.ID), rows.col(CellAssignment.VECTOR)
        .as(VectorTable.VECTOR));
  }
}
