package io.gtespark.job.search;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;

/**
 * What one search persisted or broadcast (input rows, vector blocks, centroids), freed together
 * once its output is written.
 */
public final class SearchCache {
  private final List<Runnable> releases = new ArrayList<>();

  /** Persists nothing itself: remembers {@code rdd} to unpersist it later; returns it. */
  public <T> JavaRDD<T> add(JavaRDD<T> rdd) {
    releases.add(() -> rdd.unpersist(false));
    return rdd;
  }

  /** Remembers a broadcast to destroy later; returns it. */
  public <T> Broadcast<T> add(Broadcast<T> broadcast) {
    releases.add(() -> broadcast.destroy());
    return broadcast;
  }

  /** Remembers a cached Dataset; returns it. */
  public <T> Dataset<T> add(Dataset<T> ds) {
    releases.add(() -> ds.unpersist(false));
    return ds;
  }

  /** Frees everything remembered; safe to call more than once. */
  public void release() {
    releases.forEach(Runnable::run);
    releases.clear();
  }
}
