package io.gtespark.job.cluster;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The tables and summary of one clustering. */
public final class ClusterResult {
  private final Dataset<Row> assignments;
  private final Dataset<Row> centroids;
  private final Dataset<Row> representatives;
  private final Map<String, Object> summary;
  private final Dataset<Row> cached;

  ClusterResult(Dataset<Row> assignments, Dataset<Row> centroids, Dataset<Row> representatives,
      Map<String, Object> summary, Dataset<Row> cached) {
    this.assignments = assignments;
    this.centroids = centroids;
    this.representatives = representatives;
    this.summary = summary;
    this.cached = cached;
  }

  /** Frees the cached rows the tables are read from; call it once they are written. */
  public void release() {
    cached.unpersist();
  }

  /** (id, cluster, distance to its centroid). */
  public Dataset<Row> assignments() {
    return assignments;
  }

  /** (cluster, size, centroid). */
  public Dataset<Row> centroids() {
    return centroids;
  }

  /** (cluster, rank, id, text, distance), or null without a text column. */
  public Dataset<Row> representatives() {
    return representatives;
  }

  /** k, silhouette, cost, counts and the choices made. */
  public Map<String, Object> summary() {
    return summary;
  }
}
