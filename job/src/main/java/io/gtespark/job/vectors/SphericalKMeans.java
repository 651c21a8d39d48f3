package io.gtespark.job.vectors;

import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.vectors.CellRouter;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Spherical k-means (cosine) on unit vectors, distributed like MLlib's Lloyd iterations but with
 * the assignment done a tile at a time by one SGEMM ({@link CellRouter}): each iteration
 * broadcasts the centroids, every task sums its rows per nearest centroid (only the cells its rows
 * fall in), the sums are combined by cell on the executors, and the driver receives only the k
 * new centres. Seeded and deterministic. Empty cells keep their centroid.
 */
public final class SphericalKMeans {
  private SphericalKMeans() {}

  /** The trained centroids (unit vectors, one per row) and what training saw. */
  public static final class Model implements Serializable {
    private static final long serialVersionUID = 1L;
    public final float[][] centroids;
    public final int iterations;
    /** Sum over the rows of 1 - cosine to their centroid, as of the last assignment (NaN if none ran). */
    public final double cost;

    Model(float[][] centroids, int iterations) {
      this(centroids, iterations, Double.NaN);
    }

    Model(float[][] centroids, int iterations, double cost) {
      this.centroids = centroids;
      this.iterations = iterations;
      this.cost = cost;
    }

    /** The centroids as a block whose ids are the cell numbers. */
    public VectorBlock block() {
      return block(centroids);
    }

    /** {@code centroids} as a block whose ids are the cell numbers, for a {@link CellRouter}. */
    public static VectorBlock block(float[][] centroids) {
      List<Object> ids = new ArrayList<>();
      List<float[]> rows = new ArrayList<>();
      for (int c = 0; c < centroids.length; c++) {
        ids.add(c);
        rows.add(centroids[c]);
      }
      return VectorBlock.of(ids, rows);
    }
  }

  /**
   * Trains {@code k} centroids (fewer if there are fewer rows) on the {@code rows} unit vectors of
   * {@code blocks}, which should be persisted: each of the at most {@code maxIter} iterations
   * reads them once. The starting centres are a seeded sample of the rows.
   */
  public static Model train(JavaRDD<VectorBlock> blocks, long rows, int k, int maxIter, long seed) {
    List<float[]> init = sample(blocks, rows, k, seed);
    if (init.isEmpty()) {
      throw new IllegalArgumentException("k-means needs at least one vector");
    }
    return lloyd(blocks, init.toArray(new float[0][]), maxIter, DEFAULT_TOL, null);
  }

  /**
   * A seeded sample of {@code want} rows (all of them if there are fewer) of {@code blocks}, which
   * hold {@code rows} rows: one pass that keeps each row with a fixed chance, then a seeded draw
   * of {@code want} from what came back, so only about {@code want} vectors reach the driver.
   */
  public static List<float[]> sample(JavaRDD<VectorBlock> blocks, long rows, int want, long seed) {
    double fraction = rows <= want ? 1.0 : Math.min(1.0, (1.1 * want + 100) / rows);
    while (true) {
      // One flat byte array per partition: thousands of small float arrays cost more to ship than their floats.
      List<Tuple2<Integer, byte[]>> parts = UnitVectorBlocks.bernoulli(blocks, fraction, seed).mapPartitions(it -> {
        float[] out = new float[0];
        int values = 0;
        int dim = 0;
        while (it.hasNext()) {
          VectorBlock b = it.next();
          dim = b.dim();
          int n = b.rows() * dim;
          if (values + n > out.length) {
            out = java.util.Arrays.copyOf(out, Math.max(2 * out.length, values + n));
          }
          System.arraycopy(b.values(), 0, out, values, n);
          values += n;
        }
        return List.of(new Tuple2<>(dim, FloatBytes.encode(out, 0, values))).iterator();
      }).collect();
      List<float[]> picked = new ArrayList<>();
      for (Tuple2<Integer, byte[]> part : parts) {
        float[] values = FloatBytes.decode(part._2());
        int dim = part._1();
        for (int at = 0; dim > 0 && at < values.length; at += dim) {
          picked.add(java.util.Arrays.copyOfRange(values, at, at + dim));
        }
      }
      if (picked.size() >= want || fraction >= 1.0) {
        java.util.Collections.shuffle(picked, new java.util.Random(seed));
        return new ArrayList<>(picked.subList(0, Math.min(want, picked.size())));
      }
      fraction = Math.min(1.0, 2 * fraction);
    }
  }

  /**
   * The convergence tolerance MLlib's KMeans uses by default: the fit stops once no centre moved
   * by more than this cosine distance (1 - cosine) in an iteration, as MLlib's cosine measure decides.
   */
  public static final double DEFAULT_TOL = 1e-4;

  /** What a fit reports after each iteration (on the driver). */
  public interface Progress {
    void iteration(int iteration, int maxIter, double cost, int moved, double seconds);

    /** The starting centres are chosen: the sample's rows, and the seconds spent sampling and seeding. */
    default void seeded(int sampleRows, double sampleSeconds, double seedingSeconds) {}
  }

  /**
   * Fits {@code k} centroids for clustering: {@link #SEEDINGS} greedy k-means++ seedings, each
   * refined on a seeded sample of at least 10,000 rows (20 per centroid) on the driver, the best
   * of them then moved by at most {@code maxIter} distributed Lloyd iterations over all rows. {@code vectors} should be persisted.
   */
  public static Model fit(JavaRDD<VectorBlock> blocks, long rows, int k, int maxIter, double tol, long seed,
      Progress progress) {
    long start = System.nanoTime();
    List<float[]> sample = sample(blocks, rows, (int) Math.max(10_000L, 20L * k), seed);
    if (sample.size() < k) {
      throw new IllegalArgumentException("k-means with k = " + k + " needs at least k vectors, not " + sample.size());
    }
    long sampled = System.nanoTime();
    // Several seedings are cheap next to one Lloyd pass over the table: start from the best one.
    // They run side by side, one thread each, each with its own seeded random numbers.
    int threads = Math.max(1, Math.min(SEEDINGS, Runtime.getRuntime().availableProcessors()));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    float[][] best = null;
    try {
      List<java.util.concurrent.Future<Model>> runs = new ArrayList<>();
      for (int run = 0; run < SEEDINGS; run++) {
        java.util.Random random = new java.util.Random(seed + 7919L * run);
        runs.add(pool.submit(() -> fitLocally(sample, plusPlus(sample, k, random), SAMPLE_ITERATIONS, tol, 1)));
      }
      double bestPotential = Double.POSITIVE_INFINITY;
      for (java.util.concurrent.Future<Model> run : runs) {
        Model onSample = run.get();
        if (onSample.cost < bestPotential) {
          bestPotential = onSample.cost;
          best = onSample.centroids;
        }
      }
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("k-means++ seeding failed", e);
    } finally {
      pool.shutdownNow();
    }
    // The winner goes on to convergence on the sample (milliseconds each on the driver), so the
    // passes over the whole table, a Spark job each, start near where they end.
    best = fitLocally(sample, best, maxIter, tol, Math.max(1, Runtime.getRuntime().availableProcessors())).centroids;
    if (progress != null) {
      progress.seeded(sample.size(), (sampled - start) / 1e9, (System.nanoTime() - sampled) / 1e9);
    }
    return lloyd(blocks, best, maxIter, tol, progress);
  }

  /**
   * Seedings tried by {@link #fit}, each refined by {@link #SAMPLE_ITERATIONS} Lloyd iterations on
   * the sample on the driver; the lowest cost on the sample wins (a cheap n_init).
   */
  public static final int SEEDINGS = 4;
  static final int SAMPLE_ITERATIONS = 10;

  /**
   * Greedy k-means++ seeding with the cosine distance (as scikit-learn seeds): each step draws
   * 2 + ln(k) candidates with probability proportional to a row's distance (1 - cosine) to its
   * nearest centre so far, and keeps the one that lowers the total distance most. The candidates
   * are scored against all rows with one SGEMM.
   */
  public static float[][] plusPlus(List<float[]> rows, int k, java.util.Random random) {
    int n = rows.size();
    int dim = rows.get(0).length;
    float[] flat = new float[n * dim];
    for (int i = 0; i < n; i++) {
      System.arraycopy(rows.get(i), 0, flat, i * dim, dim);
    }
    int trials = 2 + (int) Math.log(k);
    float[][] centres = new float[k][];
    centres[0] = rows.get(random.nextInt(n)).clone();
    float[] scores = new float[n * trials];
    VectorBlock.of(List.of(0), List.of(centres[0])).scoreRows(flat, 0, n, scores);
    double[] distance = new double[n];
    for (int i = 0; i < n; i++) {
      distance[i] = Math.max(0, 1 - scores[i]);
    }
    double[] cumulative = new double[n];
    for (int c = 1; c < k; c++) {
      double total = 0;
      for (int i = 0; i < n; i++) {
        total += distance[i];
        cumulative[i] = total;
      }
      List<Object> ids = new ArrayList<>();
      List<float[]> candidates = new ArrayList<>();
      int[] picked = new int[trials];
      for (int t = 0; t < trials; t++) {
        int pick;
        if (total > 0) {
          pick = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * total);
          pick = Math.min(n - 1, pick >= 0 ? pick : -pick - 1);
        } else {
          pick = random.nextInt(n); // every row sits on a centre: any pick is as good
        }
        picked[t] = pick;
        ids.add(t);
        candidates.add(rows.get(pick));
      }
      VectorBlock.of(ids, candidates).scoreRows(flat, 0, n, scores);
      int best = 0;
      double bestPotential = Double.POSITIVE_INFINITY;
      for (int t = 0; t < trials; t++) {
        double potential = 0;
        for (int i = 0; i < n; i++) {
          potential += Math.min(distance[i], Math.max(0, 1 - scores[i * trials + t]));
        }
        if (potential < bestPotential) {
          bestPotential = potential;
          best = t;
        }
      }
      centres[c] = rows.get(picked[best]).clone();
      for (int i = 0; i < n; i++) {
        distance[i] = Math.min(distance[i], Math.max(0, 1 - scores[i * trials + best]));
      }
    }
    return centres;
  }

  /** Distributed Lloyd iterations from the given centres (copied), as {@link #fit} runs them after seeding. */
  public static Model fitFrom(JavaRDD<VectorBlock> blocks, float[][] init, int maxIter, double tol,
      Progress progress) {
    float[][] centres = new float[init.length][];
    for (int c = 0; c < init.length; c++) {
      centres[c] = init[c].clone();
    }
    return lloyd(blocks, centres, maxIter, tol, progress);
  }

  /**
   * The same Lloyd iterations on one machine without Spark: {@code threads} threads each sum a
   * slice of {@code rows} with the same SGEMM assignment. The reference the bench compares
   * the distributed fit with.
   */
  public static Model fitLocally(List<float[]> rows, float[][] init, int maxIter, double tol, int threads) {
    float[][] centres = new float[init.length][];
    for (int c = 0; c < init.length; c++) {
      centres[c] = init[c].clone();
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      int iter = 0;
      double cost = Double.NaN;
      while (iter < maxIter) {
        iter++;
        VectorBlock block = new Model(centres, iter).block();
        List<java.util.concurrent.Future<Sums>> parts = new ArrayList<>();
        int slice = (rows.size() + threads - 1) / threads;
        for (int t = 0; t < threads; t++) {
          List<float[]> part = rows.subList(Math.min(rows.size(), t * slice), Math.min(rows.size(), (t + 1) * slice));
          parts.add(pool.submit(() -> Sums.of(part.iterator(), block)));
        }
        Sums total = null;
        for (java.util.concurrent.Future<Sums> f : parts) {
          Sums part = f.get();
          total = total == null ? part : total.add(part);
        }
        cost = total.cost;
        if (total.moveCentres(centres, tol) == 0) {
          break;
        }
      }
      return new Model(centres, iter, cost);
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("local k-means failed", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Distributed Lloyd iterations. Each task sums its rows per nearest centre only for the cells its
   * rows fall in; the partial sums are combined by cell on the executors, and each cell's new unit
   * centre comes back to the driver: per pass the driver receives nlist centres (nlist * dim floats)
   * however many partitions the rows span, and no task holds more than its own cells' sums plus
   * the broadcast centres.
   */
  private static Model lloyd(JavaRDD<VectorBlock> blocks, float[][] centroids, int maxIter, double tol,
      Progress progress) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(blocks.context());
    int reducers = Math.max(1, Math.min(blocks.getNumPartitions(), jsc.defaultParallelism()));
    int iter = 0;
    double cost = Double.NaN;
    while (iter < maxIter) {
      iter++;
      long start = System.nanoTime();
      Broadcast<VectorBlock> b = jsc.broadcast(new Model(centroids, iter).block());
      List<Tuple2<Integer, CellPartial>> cells = blocks
          .mapPartitionsToPair((Iterator<VectorBlock> it) -> CellPartial.of(it, b.value()))
          .reduceByKey(CellPartial::add, reducers)
          .mapValues(CellPartial::toUnitMean)
          .collect();
      b.destroy();
      cost = 0;
      int moved = 0;
      for (Tuple2<Integer, CellPartial> cell : cells) {
        int c = cell._1();
        float[] next = cell._2().mean;
        cost += cell._2().cost;
        if (1 - VectorMath.dot(next, centroids[c]) > tol) {
          moved++;
        }
        centroids[c] = next;
      }
      if (progress != null) {
        progress.iteration(iter, maxIter, cost, moved, (System.nanoTime() - start) / 1e9);
      }
      if (moved == 0) {
        break;
      }
    }
    return new Model(centroids, iter, cost);
  }

  /**
   * One cell's share of a Lloyd pass: its rows, their cost (1 - cosine to the centre) and their
   * vector sum, from one task or several added; after {@link #toUnitMean}, the normalised mean.
   */
  static final class CellPartial implements Serializable {
    private static final long serialVersionUID = 1L;
    long count;
    double cost;
    double[] sum;
    float[] mean;

    CellPartial(int dim) {
      this.sum = new double[dim];
    }

    /** The partial sums of the cells that the rows of {@code blocks} fall in (only those cells). */
    static Iterator<Tuple2<Integer, CellPartial>> of(Iterator<VectorBlock> blocks, VectorBlock centroids) {
      int dim = centroids.dim();
      java.util.Map<Integer, CellPartial> cells = new java.util.HashMap<>();
      TileRouting.forEach(blocks, centroids, 1, (block, first, n, nearest, router) -> {
        float[] values = block.values();
        for (int i = 0; i < n; i++) {
          int c = nearest[i][0];
          CellPartial p = cells.computeIfAbsent(c, x -> new CellPartial(dim));
          p.count++;
          p.cost += Math.max(0, 1 - router.score(i, c));
          int row = (first + i) * dim;
          for (int d = 0; d < dim; d++) {
            p.sum[d] += values[row + d];
          }
        }
      });
      List<Tuple2<Integer, CellPartial>> out = new ArrayList<>(cells.size());
      cells.forEach((c, p) -> out.add(new Tuple2<>(c, p)));
      return out.iterator();
    }

    CellPartial add(CellPartial other) {
      count += other.count;
      cost += other.cost;
      for (int d = 0; d < sum.length; d++) {
        sum[d] += other.sum[d];
      }
      return this;
    }

    /** This cell with its sum replaced by the unit mean as floats: half the bytes to the driver. */
    CellPartial toUnitMean() {
      float[] next = new float[sum.length];
      for (int d = 0; d < next.length; d++) {
        next[d] = (float) sum[d];
      }
      VectorMath.normalize(next);
      mean = next;
      sum = null;
      return this;
    }
  }

  /**
   * Groups a few vectors (centroids, say) into {@code k} groups on the driver with the same
   * Lloyd iterations, at most {@code maxIter} and stopping once no group centre moves; returns
   * each vector's group. Deterministic for a seed. Each pass routes every vector once.
   */
  public static int[] groupLocally(float[][] vectors, int k, int maxIter, long seed) {
    int n = vectors.length;
    int groups = Math.max(1, Math.min(k, n));
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    float[][] centres = new float[groups][];
    for (int g = 0; g < groups; g++) {
      centres[g] = vectors[order.get(g)].clone();
    }
    int[] assigned = new int[n];
    for (int iter = 0; iter < maxIter; iter++) {
      Sums sums = Sums.of(java.util.Arrays.asList(vectors).iterator(), new Model(centres, iter).block(), assigned);
      if (sums.moveCentres(centres, DEFAULT_TOL) == 0) {
        break; // the assignment just made is to centres that no longer move
      }
    }
    return assigned;
  }

  /** Per-cell sums and counts of rows on one machine (the driver's fits on a sample), or of several, added. */
  static final class Sums implements Serializable {
    private static final long serialVersionUID = 1L;
    final double[] sums;
    final long[] counts;
    double cost;

    Sums(int cells, int dim) {
      this.sums = new double[cells * dim];
      this.counts = new long[cells];
    }

    static Sums of(Iterator<float[]> rows, VectorBlock centroids) {
      return of(rows, centroids, null);
    }

    /** As {@link #of(Iterator, VectorBlock)}, writing each row's centre into {@code assigned} when given. */
    static Sums of(Iterator<float[]> rows, VectorBlock centroids, int[] assigned) {
      int dim = centroids.dim();
      int seen = 0;
      CellRouter router = new CellRouter(centroids);
      Sums s = new Sums(centroids.rows(), dim);
      int tileRows = 256;
      float[] tile = new float[tileRows * dim];
      int[][] nearest = new int[tileRows][1];
      while (rows.hasNext()) {
        int n = 0;
        while (n < tileRows && rows.hasNext()) {
          System.arraycopy(rows.next(), 0, tile, n * dim, dim);
          n++;
        }
        router.nearest(tile, 0, n, 1, nearest);
        for (int i = 0; i < n; i++) {
          int c = nearest[i][0];
          if (assigned != null) {
            assigned[seen + i] = c;
          }
          s.counts[c]++;
          s.cost += Math.max(0, 1 - router.score(i, c));
          int off = c * dim;
          for (int d = 0; d < dim; d++) {
            s.sums[off + d] += tile[i * dim + d];
          }
        }
        seen += n;
      }
      return s;
    }

    /**
     * Moves each centre with members to their normalised mean; returns how many moved by more than
     * {@code tol} (cosine distance).
     */
    int moveCentres(float[][] centres, double tol) {
      int dim = centres[0].length;
      int moved = 0;
      for (int c = 0; c < centres.length; c++) {
        if (counts[c] == 0) {
          continue;
        }
        float[] next = new float[dim];
        for (int d = 0; d < dim; d++) {
          next[d] = (float) sums[c * dim + d];
        }
        VectorMath.normalize(next);
        if (1 - VectorMath.dot(next, centres[c]) > tol) {
          moved++;
        }
        centres[c] = next;
      }
      return moved;
    }

    Sums add(Sums other) {
      for (int i = 0; i < sums.length; i++) {
        sums[i] += other.sums[i];
      }
      for (int i = 0; i < counts.length; i++) {
        counts[i] += other.counts[i];
      }
      cost += other.cost;
      return this;
    }
  }
}
