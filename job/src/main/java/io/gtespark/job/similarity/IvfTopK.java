package io.gtespark.job.similarity;

import io.gtespark.job.metrics.MaxAccumulator;
import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.BlockScorer;
import io.gtespark.udf.vectors.CellRouter;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Approximate top-K by cosine with an inverted file (IVF), the scheme of FAISS's IndexIVFFlat:
 * spherical k-means on a sample of the corpus gives {@code nlist} cells; every corpus row goes to
 * its nearest cell and every query to its {@code nprobe} nearest; inside each cell the queries
 * that probe it are scored exactly against its rows with the SGEMM kernel, and the partial top-K
 * lists merge per query. Big cells are cut into chunks of at most {@code blockRows} rows on both
 * sides, so no task holds an unbounded cell however skewed the corpus. The driver holds the
 * centroids and per-cell counts only.
 */
public final class IvfTopK {
  private IvfTopK() {}

  /** The knobs of one search; nlist or trainSample 0 = derived from the corpus size. */
  public static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    final int nlist;
    final int nprobe;
    final int trainSample;
    final int maxIter;
    final long seed;
    final int blockRows;

    public Settings(int nlist, int nprobe, int trainSample, int maxIter, long seed, int blockRows) {
      this.nlist = nlist;
      this.nprobe = nprobe;
      this.trainSample = trainSample;
      this.maxIter = maxIter;
      this.seed = seed;
      this.blockRows = blockRows;
    }

    /** Cells for a corpus of {@code rows}: the setting, else about 4 sqrt(rows), within [1, 262144]. */
    int cellsFor(long rows) {
      long want = nlist > 0 ? nlist : Math.round(4 * Math.sqrt(rows));
      return (int) Math.max(1, Math.min(Math.min(want, 1 << 18), rows));
    }

    /** Training rows: the setting, else 40 per cell (FAISS asks for at least 39), at least 10,000. */
    long sampleFor(long rows, int cells) {
      long want = trainSample > 0 ? trainSample : Math.max(40L * cells, 10_000);
      return Math.min(want, rows);
    }
  }

  /** A search's result and what it measured about its cells. */
  public static final class Result {
    public final Dataset<Row> topK;
    private final Map<String, Object> stats;
    private final MaxAccumulator unitDocs;
    private final MaxAccumulator unitQueries;

    Result(Dataset<Row> topK, Map<String, Object> stats, MaxAccumulator unitDocs, MaxAccumulator unitQueries) {
      this.topK = topK;
      this.stats = stats;
      this.unitDocs = unitDocs;
      this.unitQueries = unitQueries;
    }

    /** The cells' figures, and once the result has been computed the largest unit measured. */
    public Map<String, Object> stats() {
      Map<String, Object> out = new LinkedHashMap<>(stats);
      out.put("largestUnitDocs", unitDocs.value());
      out.put("largestUnitQueries", unitQueries.value());
      return out;
    }
  }

  /**
   * For every query (id, vector) its approximate {@code k} best corpus rows. {@code self}: queries
   * and corpus are one table, routed once. Persisted data is added to {@code cache}.
   */
  public static Result topK(SparkSession spark, Dataset<Row> queries, Dataset<Row> corpus, boolean self, int k,
      boolean excludeSelf, double minScore, Settings settings, SearchCache cache, LongAccumulator pairsScored) {
    Map<String, Object> stats = new LinkedHashMap<>();
    MaxAccumulator unitDocs = new MaxAccumulator();
    MaxAccumulator unitQueries = new MaxAccumulator();
    spark.sparkContext().register(unitDocs, "gte-ivf-unit-docs");
    spark.sparkContext().register(unitQueries, "gte-ivf-unit-queries");
    long nd = corpus.count();
    long nq = self ? nd : queries.count();
    if (nd == 0 || nq == 0) {
      stats.put("nlist", 0);
      stats.put("nprobe", 0);
      return new Result(spark.createDataFrame(new ArrayList<>(), TopKCandidates.schema(queries, corpus)), stats,
          unitDocs, unitQueries);
    }
    int nlist = settings.cellsFor(nd);
    int nprobe = Math.min(settings.nprobe, nlist);
    long sampleRows = settings.sampleFor(nd, nlist);
    JavaRDD<Tuple2<Object, float[]>> corpusRows = unitRows(corpus);
    JavaRDD<float[]> sample = cache.add(corpusRows
        .sample(false, Math.min(1.0, 1.1 * sampleRows / nd), settings.seed)
        .map(Tuple2::_2)
        .persist(StorageLevel.MEMORY_AND_DISK()));
    long t0 = System.nanoTime();
    SphericalKMeans.Model model = SphericalKMeans.train(sample, nlist, settings.maxIter, settings.seed);
    sample.unpersist(false);
    nlist = model.centroids.length;
    nprobe = Math.min(nprobe, nlist);
    System.out.printf("similarity --approx: %d cells trained on about %d rows in %.1f s (%d iterations)%n", nlist,
        sampleRows, (System.nanoTime() - t0) / 1e9, model.iterations);
    t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = cache.add(jsc.broadcast(model.block()));

    // Routed rows: (id, vector, nearest cells). For --self one pass routes each row as both.
    JavaRDD<Routed> routedQueries = cache.add(route(unitRows(queries), centroids, nprobe)
        .persist(StorageLevel.MEMORY_AND_DISK()));
    JavaRDD<Routed> routedCorpus = self ? routedQueries
        : cache.add(route(corpusRows, centroids, 1).persist(StorageLevel.MEMORY_AND_DISK()));

    long[] docsPerCell = new long[nlist];
    routedCorpus.map(r -> r.cells[0]).countByValue().forEach((c, n) -> docsPerCell[c] = n);
    // Cells are grouped (k-means over the centroids, about blockRows docs a group) so that a
    // query, whose probed cells lie close together, travels to few groups instead of nprobe cells.
    int groups = (int) Math.max(1, Math.min(nlist, (nd + settings.blockRows - 1) / settings.blockRows));
    int[] groupOf = SphericalKMeans.groupLocally(model.centroids, groups, 10, settings.seed);
    long[] docsPerGroup = new long[groups];
    for (int c = 0; c < nlist; c++) {
      docsPerGroup[groupOf[c]] += docsPerCell[c];
    }
    Broadcast<int[]> cellGroups = cache.add(jsc.broadcast(groupOf));
    long[] queriesPerGroup = new long[groups];
    routedQueries.flatMap(r -> Arrays.stream(r.cells).map(c -> cellGroups.value()[c]).distinct().boxed().iterator())
        .countByValue().forEach((g, n) -> queriesPerGroup[g] = n);
    long queryCopies = Arrays.stream(queriesPerGroup).sum();
    System.out.printf("similarity --approx: %d corpus rows in cells (largest %d), %d queries routed to %d cells "
        + "each (%.1f cell groups each) in %.1f s%n", nd, Arrays.stream(docsPerCell).max().orElse(0), nq, nprobe,
        queryCopies / (double) nq, (System.nanoTime() - t0) / 1e9);
    int block = settings.blockRows;
    int[] docChunks = chunks(docsPerGroup, block);
    int[] queryChunks = chunks(queriesPerGroup, block);
    Broadcast<int[][]> chunking = cache.add(jsc.broadcast(new int[][] {docChunks, queryChunks}));

    // Unit of work (group, query chunk, doc chunk): at most about blockRows docs and queries each.
    JavaPairRDD<Long, Routed> docs = routedCorpus.flatMapToPair(r -> {
      int c = r.cells[0];
      int g = cellGroups.value()[c];
      int[][] ch = chunking.value();
      int dChunk = chunkOf(r.id, g, ch[0][g]);
      Routed member = r.cells.length == 1 ? r : new Routed(r.id, r.vector, new int[] {c});
      List<Tuple2<Long, Routed>> out = new ArrayList<>(ch[1][g]);
      for (int q = 0; q < ch[1][g]; q++) {
        out.add(new Tuple2<>(unit(g, q, dChunk), member));
      }
      return out.iterator();
    });
    JavaPairRDD<Long, Routed> probes = routedQueries.flatMapToPair(r -> {
      int[][] ch = chunking.value();
      int[] groupOfCell = cellGroups.value();
      Map<Integer, List<Integer>> cellsByGroup = new LinkedHashMap<>();
      for (int c : r.cells) {
        cellsByGroup.computeIfAbsent(groupOfCell[c], x -> new ArrayList<>()).add(c);
      }
      List<Tuple2<Long, Routed>> out = new ArrayList<>();
      cellsByGroup.forEach((g, cells) -> {
        Routed member = new Routed(r.id, r.vector, cells.stream().mapToInt(Integer::intValue).toArray());
        int qChunk = chunkOf(r.id, g, ch[1][g]);
        for (int d = 0; d < ch[0][g]; d++) {
          out.add(new Tuple2<>(unit(g, qChunk, d), member));
        }
      });
      return out.iterator();
    });
    int units = Math.max(Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions")),
        2 * spark.sparkContext().defaultParallelism());
    JavaRDD<Tuple2<Object, TopKHeap>> partial = probes.cogroup(docs, units)
        .mapPartitions(new ScoreUnits(k, excludeSelf, minScore, self, pairsScored, unitDocs, unitQueries));
    Dataset<Row> result = TopKCandidates.rank(spark, partial, TopKCandidates.schema(queries, corpus));

    long[] sorted = docsPerCell.clone();
    Arrays.sort(sorted);
    stats.put("nlist", nlist);
    stats.put("nprobe", nprobe);
    stats.put("trainRows", sampleRows);
    stats.put("trainIterations", model.iterations);
    stats.put("cellRowsMin", sorted[0]);
    stats.put("cellRowsMedian", sorted[sorted.length / 2]);
    stats.put("cellRowsMax", sorted[sorted.length - 1]);
    stats.put("emptyCells", Arrays.stream(sorted).filter(n -> n == 0).count());
    stats.put("cellGroups", groups);
    stats.put("queryCopies", queryCopies);
    return new Result(result, stats, unitDocs, unitQueries);
  }

  /** Chunks per cell: enough that a chunk holds about {@code block} rows. */
  private static int[] chunks(long[] perCell, int block) {
    int[] out = new int[perCell.length];
    for (int c = 0; c < perCell.length; c++) {
      out[c] = (int) Math.max(1, (perCell[c] + block - 1) / block);
    }
    return out;
  }

  /** A stable chunk for a row within its cell group (a mixed hash of id and group). */
  static int chunkOf(Object id, int cell, int chunks) {
    if (chunks == 1) {
      return 0;
    }
    long h = id.hashCode() * 0x9E3779B97F4A7C15L + cell * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 29;
    return (int) Math.floorMod(h, (long) chunks);
  }

  /** The key of unit (cell group, query chunk, doc chunk): 23 + 20 + 20 bits. */
  static long unit(int group, int queryChunk, int docChunk) {
    return ((long) group << 40) | ((long) queryChunk << 20) | docChunk;
  }

  /** (id, unit vector) pairs of a vector table's rows. */
  private static JavaRDD<Tuple2<Object, float[]>> unitRows(Dataset<Row> side) {
    return side.select(VectorTable.ID, VectorTable.VECTOR).javaRDD()
        .map(r -> new Tuple2<>(r.get(0), VectorRows.unit(r, 1)));
  }

  /** A row with its nearest cells, nearest first. */
  static final class Routed implements Serializable {
    private static final long serialVersionUID = 1L;
    final Object id;
    final float[] vector;
    final int[] cells;

    Routed(Object id, float[] vector, int[] cells) {
      this.id = id;
      this.vector = vector;
      this.cells = cells;
    }
  }

  private static JavaRDD<Routed> route(JavaRDD<Tuple2<Object, float[]>> rows, Broadcast<VectorBlock> centroids,
      int nprobe) {
    return rows.mapPartitions(it -> {
      CellRouter router = new CellRouter(centroids.value());
      int dim = centroids.value().dim();
      int tileRows = BlockScorer.TILE_ROWS;
      float[] tile = new float[tileRows * dim];
      int[][] nearest = new int[tileRows][];
      List<Routed> out = new ArrayList<>();
      List<Tuple2<Object, float[]>> pending = new ArrayList<>(tileRows);
      while (it.hasNext()) {
        pending.clear();
        while (pending.size() < tileRows && it.hasNext()) {
          Tuple2<Object, float[]> r = it.next();
          if (r._2().length != dim) {
            throw VectorRows.dimensionMismatch(r._2().length, dim);
          }
          System.arraycopy(r._2(), 0, tile, pending.size() * dim, dim);
          pending.add(r);
        }
        for (int i = 0; i < pending.size(); i++) {
          nearest[i] = new int[Math.min(nprobe, router.cells())];
        }
        router.nearest(tile, 0, pending.size(), nprobe, nearest);
        for (int i = 0; i < pending.size(); i++) {
          out.add(new Routed(pending.get(i)._1(), pending.get(i)._2(), nearest[i]));
        }
      }
      return out.iterator();
    });
  }

  /**
   * Scores each unit: its docs by cell, and for every cell the unit's queries that probe it, one
   * matrix product per cell; one partial top-K per query and unit, and in a self search one per
   * doc too, since every doc is a query as well.
   */
  static final class ScoreUnits implements org.apache.spark.api.java.function.FlatMapFunction<
      Iterator<Tuple2<Long, Tuple2<Iterable<Routed>, Iterable<Routed>>>>, Tuple2<Object, TopKHeap>> {
    private static final long serialVersionUID = 1L;
    private final int k;
    private final boolean excludeSelf;
    private final double minScore;
    private final boolean self;
    private final LongAccumulator pairsScored;
    private final MaxAccumulator unitDocs;
    private final MaxAccumulator unitQueries;

    ScoreUnits(int k, boolean excludeSelf, double minScore, boolean self, LongAccumulator pairsScored,
        MaxAccumulator unitDocs, MaxAccumulator unitQueries) {
      this.k = k;
      this.excludeSelf = excludeSelf;
      this.minScore = minScore;
      this.self = self;
      this.pairsScored = pairsScored;
      this.unitDocs = unitDocs;
      this.unitQueries = unitQueries;
    }

    @Override
    public Iterator<Tuple2<Object, TopKHeap>> call(Iterator<Tuple2<Long, Tuple2<Iterable<Routed>, Iterable<Routed>>>> units) {
      BlockScorer scorer = new BlockScorer(excludeSelf, minScore);
      return new Iterator<Tuple2<Object, TopKHeap>>() {
        private Iterator<Tuple2<Object, TopKHeap>> ready = java.util.Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          while (!ready.hasNext() && units.hasNext()) {
            ready = score(scorer, units.next()._2());
          }
          return ready.hasNext();
        }

        @Override
        public Tuple2<Object, TopKHeap> next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return ready.next();
        }
      };
    }

    private Iterator<Tuple2<Object, TopKHeap>> score(BlockScorer scorer, Tuple2<Iterable<Routed>, Iterable<Routed>> unit) {
      List<Routed> queries = new ArrayList<>();
      unit._1().forEach(queries::add);
      Map<Integer, List<Integer>> docsByCell = new java.util.HashMap<>();
      List<Routed> docs = new ArrayList<>();
      for (Routed d : unit._2()) {
        docsByCell.computeIfAbsent(d.cells[0], x -> new ArrayList<>()).add(docs.size());
        docs.add(d);
      }
      if (queries.isEmpty() || docs.isEmpty()) {
        return java.util.Collections.emptyIterator();
      }
      unitDocs.add((long) docs.size());
      unitQueries.add((long) queries.size());
      Map<Integer, List<Integer>> queriesByCell = new java.util.HashMap<>();
      for (int i = 0; i < queries.size(); i++) {
        for (int c : queries.get(i).cells) {
          if (docsByCell.containsKey(c)) {
            queriesByCell.computeIfAbsent(c, x -> new ArrayList<>()).add(i);
          }
        }
      }
      TopKHeap[] heaps = heaps(queries.size());
      // A self search's docs are queries too: each score also serves the doc's own list, so a
      // pair is found when either row probes the other's cell.
      TopKHeap[] docHeaps = self ? heaps(docs.size()) : null;
      for (Map.Entry<Integer, List<Integer>> e : queriesByCell.entrySet()) {
        List<Integer> qi = e.getValue();
        List<Integer> di = docsByCell.get(e.getKey());
        TopKHeap[] qh = new TopKHeap[qi.size()];
        for (int i = 0; i < qh.length; i++) {
          qh[i] = heaps[qi.get(i)];
        }
        TopKHeap[] dh = null;
        if (docHeaps != null) {
          dh = new TopKHeap[di.size()];
          for (int j = 0; j < dh.length; j++) {
            dh[j] = docHeaps[di.get(j)];
          }
        }
        scorer.score(block(queries, qi), block(docs, di), qh, dh);
        pairsScored.add((long) qi.size() * di.size());
      }
      List<Tuple2<Object, TopKHeap>> out = new ArrayList<>(heaps.length);
      emit(queries, heaps, out);
      if (docHeaps != null) {
        emit(docs, docHeaps, out);
      }
      return out.iterator();
    }

    private TopKHeap[] heaps(int n) {
      TopKHeap[] h = new TopKHeap[n];
      for (int i = 0; i < n; i++) {
        h[i] = new TopKHeap(k);
      }
      return h;
    }

    private static void emit(List<Routed> rows, TopKHeap[] heaps, List<Tuple2<Object, TopKHeap>> out) {
      for (int i = 0; i < heaps.length; i++) {
        if (!heaps[i].isEmpty()) {
          out.add(new Tuple2<>(rows.get(i).id, heaps[i]));
        }
      }
    }

    private static VectorBlock block(List<Routed> rows, List<Integer> pick) {
      List<Object> ids = new ArrayList<>(pick.size());
      List<float[]> vectors = new ArrayList<>(pick.size());
      for (int i : pick) {
        ids.add(rows.get(i).id);
        vectors.add(rows.get(i).vector);
      }
      return VectorBlock.of(ids, vectors);
    }
  }
}
