package io.gtespark.job.cells;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.job.vectors.UnitVectorBlocks;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Trains the cells of an inverted file the one way every stage does ({@code similarity --approx},
 * {@code dedup}, {@code index}): spherical k-means with k-means++ seeding on a seeded sample of
 * the corpus, {@link CellSettings#cellsFor} cells on {@link CellSettings#sampleFor} rows. The
 * sample is cached on as few partitions as its rows need and freed once the centroids are made.
 */
public final class CellTraining {
  private final float[][] centroids;
  private final long trainRows;
  private final int iterations;
  private final double seconds;

  private CellTraining(float[][] centroids, long trainRows, int iterations, double seconds) {
    this.centroids = centroids;
    this.trainRows = trainRows;
    this.iterations = iterations;
    this.seconds = seconds;
  }

  /** Cells trained on a sample of a corpus already cached as unit-vector blocks. */
  public static CellTraining ofBlocks(UnitVectorBlocks corpus, CellSettings settings) {
    long t0 = System.nanoTime();
    int nlist = settings.cellsFor(corpus.rows());
    long want = settings.sampleFor(corpus.rows(), nlist);
    return train(corpus.sample(Math.min(1.0, 1.1 * want / corpus.rows()), settings.seed), nlist, settings, t0);
  }

  /**
   * Cells trained on a sample of a table of (id, vector) rows, {@code rows} of them: only the
   * sampled rows are decoded and cached, so a table that is read once more to be routed is not
   * held in memory for the training.
   */
  public static CellTraining ofRows(Dataset<Row> table, long rows, CellSettings settings) {
    if (rows == 0) {
      throw new UsageException("The input has no rows: there is nothing to train cells on (or to index).");
    }
    long t0 = System.nanoTime();
    int nlist = settings.cellsFor(rows);
    long want = settings.sampleFor(rows, nlist);
    double fraction = Math.min(1.0, 1.1 * want / rows);
    int cores = table.sparkSession().sparkContext().defaultParallelism();
    int parts = (int) Math.max(cores, Math.min(table.rdd().getNumPartitions(), (long) Math.ceil(fraction * rows
        / 50_000.0)));
    Dataset<Row> sampled = fraction >= 1.0 ? table : table.sample(false, fraction, settings.seed);
    return train(UnitVectorBlocks.cache(sampled.coalesce(parts)), nlist, settings, t0);
  }

  private static CellTraining train(UnitVectorBlocks sample, int nlist, CellSettings settings, long t0) {
    try {
      if (sample.rows() == 0) {
        throw new UsageException("The input has no rows with a vector: there is nothing to train cells on (or to "
            + "index). Embed the table first, or check --vector-col.");
      }
      SphericalKMeans.Model model = SphericalKMeans.train(sample.blocks(), sample.rows(), nlist, settings.maxIter,
          settings.seed);
      return new CellTraining(model.centroids, sample.rows(), model.iterations, (System.nanoTime() - t0) / 1e9);
    } finally {
      sample.release();
    }
  }

  /** These cells in {@code groups} groups ({@link Cells#grouped}). */
  public Cells grouped(int groups, long seed) {
    return Cells.grouped(centroids, groups, seed);
  }

  /** How many cells were trained (fewer than asked when the sample had fewer distinct rows). */
  public int nlist() {
    return centroids.length;
  }

  /** Rows the cells were trained on. */
  public long trainRows() {
    return trainRows;
  }

  /** Lloyd iterations run. */
  public int iterations() {
    return iterations;
  }

  /** Seconds the sampling and training took. */
  public double seconds() {
    return seconds;
  }
}
