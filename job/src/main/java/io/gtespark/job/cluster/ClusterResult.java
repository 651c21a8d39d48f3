package io.gtespark.job.cluster;

import java.util.Map;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The tables and summary of one clustering. */
public final class ClusterResult {
  private final Dataset<Row> assignments;
  private final Dataset<Row> centroids;
  private final java.util.function.Supplier<Dataset<Row>> representatives;
  private final Map<String, Object> summary;
  private final Runnable release;
  private final MLWritable model;

  ClusterResult(Dataset<Row> assignments, Dataset<Row> centroids,
      java.util.function.Supplier<Dataset<Row>> representatives,
      Map<String, Object> summary, Runnable release, MLWritable model) {
    this.assignments = assignments;
    this.centroids = centroids;
    this.representatives = representatives;
    this.summary = summary;
    this.release = release;
    this.model = model;
  }

  /** Frees the cached rows the tables are read from; call it once they are written. */
  public void release() {
    release.run();
  }

  /** (id, cluster, distance to its centroid). */
  public Dataset<Row> assignments() {
    return assignments;
  }

  /** (cluster, size, centroid). */
  public Dataset<Row> centroids() {
    return centroids;
  }

  /**
   * (cluster, rank, id, text, distance), or null without a text column. Made when first asked
   * for (it may read the texts), so that it can overlap the other tables' writes.
   */
  public Dataset<Row> representatives() {
    return representatives == null ? null : representatives.get();
  }

  /** True when there is a representatives table (the input has a text column). */
  public boolean hasRepresentatives() {
    return representatives != null;
  }

  /** The fitted MLlib model (a {@code KMeansModel} or {@code BisectingKMeansModel}), to save. */
  public MLWritable model() {
    return model;
  }

  /** k, silhouette, cost, counts and the choices made. */
  public Map<String, Object> summary() {
    return summary;
  }
}
