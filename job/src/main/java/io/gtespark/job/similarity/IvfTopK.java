package io.gtespark.job.similarity;

import io.gtespark.job.metrics.MaxAccumulator;
import io.gtespark.job.vectors.SphericalKMeans;
import io.gtespark.job.vectors.TileRouting;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
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
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Approximate top-K by cosine with an inverted file (IVF), the scheme of FAISS's IndexIVFFlat:
 * spherical k-means on a sample of the corpus gives {@code nlist} cells; every corpus row goes to
 * its nearest cell and every query to its {@code nprobe} nearest; inside each cell the queries
 * that probe it are scored exactly against its rows with the SGEMM kernel, and the partial top-K
 * lists merge per query. A unit of work holds at most about {@code unitRows} corpus rows of one
 * cell group (big groups are cut into chunks) while its queries stream past in packets of at most
 * {@code blockRows} rows, so no task holds an unbounded cell however skewed the corpus. The
 * driver holds the centroids and per-cell counts only.
 */
public final class IvfTopK {
  /**
   * The session property that bounds the query vectors an index search sends every task instead
   * of shuffling them to the cells; 64 MiB by default (43,690 queries of 384 dimensions).
   */
  public static final String BROADCAST_QUERY_BYTES = "spark.gte.similarity.indexBroadcastQueryBytes";

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
    final int unitRows;

    public Settings(int nlist, int nprobe, int trainSample, int maxIter, long seed, int blockRows, int unitRows) {
      this.nlist = nlist;
      this.nprobe = nprobe;
      this.trainSample = trainSample;
      this.maxIter = maxIter;
      this.seed = seed;
      this.blockRows = blockRows;
      this.unitRows = unitRows;
    }

    /** Cells for a corpus of {@code rows}: the setting, else about 4 sqrt(rows), within [1, 262144]. */
    public int cellsFor(long rows) {
      long want = nlist > 0 ? nlist : Math.round(4 * Math.sqrt(rows));
      return (int) Math.max(1, Math.min(Math.min(want, 1 << 18), rows));
    }

    /** Training rows: the setting, else 40 per cell (FAISS asks for at least 39), at least 10,000. */
    public long sampleFor(long rows, int cells) {
      long want = trainSample > 0 ? trainSample : Math.max(40L * cells, 10_000);
      return Math.min(want, rows);
    }
  }

  /** A search's result, what it measured about its cells, and its recall sample. */
  public static final class Result {
    public final Dataset<Row> topK;
    /** Rows of each side with a vector. */
    public final long queries;
    public final long corpusRows;
    private final Map<String, Object> stats;
    private final MaxAccumulator unitDocs;
    private final MaxAccumulator unitQueries;
    private final RecallProbe probe;
    private final RecallProbe.Tap tap;

    Result(Dataset<Row> topK, UnitVectorBlocks queryData, UnitVectorBlocks corpusData, Map<String, Object> stats,
        MaxAccumulator unitDocs, MaxAccumulator unitQueries, RecallProbe probe, RecallProbe.Tap tap) {
      this(topK, queryData.rows(), corpusData.rows(), stats, unitDocs, unitQueries, probe, tap);
    }

    Result(Dataset<Row> topK, long queries, long corpusRows, Map<String, Object> stats, MaxAccumulator unitDocs,
        MaxAccumulator unitQueries, RecallProbe probe, RecallProbe.Tap tap) {
      this.topK = topK;
      this.queries = queries;
      this.corpusRows = corpusRows;
      this.stats = stats;
      this.unitDocs = unitDocs;
      this.unitQueries = unitQueries;
      this.probe = probe;
      this.tap = tap;
    }

    /** The recall measured on the sampled queries, once {@link #topK} has been written (or not measured). */
    public Map<String, Object> recall() {
      return probe == null ? RecallProbe.notMeasured() : probe.recall(tap.found());
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
   * and corpus are one table, routed once. Persisted data is added to {@code cache}. With a
   * {@code recallSample} above 0 that many queries get their exact lists first, and their
   * approximate ones are kept as the result is written ({@link Result#recall}).
   */
  public static Result topK(SparkSession spark, Dataset<Row> queries, Dataset<Row> corpus, boolean self, int k,
      boolean excludeSelf, double minScore, Settings settings, int recallSample, SearchCache cache,
      LongAccumulator pairsScored) {
    Map<String, Object> stats = new LinkedHashMap<>();
    MaxAccumulator unitDocs = new MaxAccumulator();
    MaxAccumulator unitQueries = new MaxAccumulator();
    spark.sparkContext().register(unitDocs, "gte-ivf-unit-docs");
    spark.sparkContext().register(unitQueries, "gte-ivf-unit-queries");
    // Each side is read once into cached blocks of unit vectors: training, routing and the cells'
    // packets all read those instead of decoding the table again.
    UnitVectorBlocks corpusData = UnitVectorBlocks.cache(corpus, settings.blockRows);
    cache.add(corpusData.blocks());
    UnitVectorBlocks queryData = self ? corpusData : UnitVectorBlocks.cache(queries, settings.blockRows);
    if (!self) {
      cache.add(queryData.blocks());
    }
    long nd = corpusData.rows();
    long nq = queryData.rows();
    if (nd == 0 || nq == 0) {
      stats.put("nlist", 0);
      stats.put("nprobe", 0);
      return new Result(spark.createDataFrame(new ArrayList<>(), TopKCandidates.schema(queries, corpus)), queryData,
          corpusData, stats, unitDocs, unitQueries, null, null);
    }
    int nlist = settings.cellsFor(nd);
    int nprobe = Math.min(settings.nprobe, nlist);
    long sampleRows = settings.sampleFor(nd, nlist);
    long t0 = System.nanoTime();
    UnitVectorBlocks sample = corpusData.sample(Math.min(1.0, 1.1 * sampleRows / nd), settings.seed);
    SphericalKMeans.Model model;
    try {
      model = SphericalKMeans.train(sample.blocks(), sample.rows(), nlist, settings.maxIter, settings.seed);
    } finally {
      sample.release();
    }
    nlist = model.centroids.length;
    nprobe = Math.min(nprobe, nlist);
    System.out.printf("similarity --approx: %d cells trained on %d rows in %.1f s (%d iterations)%n", nlist,
        sample.rows(), (System.nanoTime() - t0) / 1e9, model.iterations);
    t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = cache.add(jsc.broadcast(model.block()));

    // Each row's nearest cells, cached apart from the vectors and zipped with their blocks when
    // read: a cached RoutedBlock would make Spark count every cached vector twice and push blocks
    // to disk. For --self one pass routes each row as both.
    JavaRDD<RoutedBlock> routedQueries = routed(queryData.blocks(), cache.add(route(queryData.blocks(), centroids,
        nprobe).persist(StorageLevel.MEMORY_AND_DISK())), nprobe);
    JavaRDD<RoutedBlock> routedCorpus = self ? routedQueries : routed(corpusData.blocks(),
        cache.add(route(corpusData.blocks(), centroids, 1).persist(StorageLevel.MEMORY_AND_DISK())), 1);

    // Cells are grouped (k-means over the centroids, about unitRows docs a group, and enough
    // groups to keep every core busy) so that a query, whose probed cells lie close together,
    // travels to few groups instead of nprobe cells.
    int parallelism = spark.sparkContext().defaultParallelism();
    int groups = (int) Math.max(1, Math.min(nlist, Math.max((nd + settings.unitRows - 1) / settings.unitRows,
        4L * parallelism)));
    int[] groupOf = SphericalKMeans.groupLocally(model.centroids, groups, 10, settings.seed);
    stats.put("nlist", nlist);
    stats.put("nprobe", nprobe);
    stats.put("trainRows", sample.rows());
    stats.put("trainIterations", model.iterations);
    Scoring scoring = new Scoring(spark, queryData, corpusData, self, routedQueries, routedCorpus, model.centroids,
        groupOf, groups, nprobe, t0);
    Result result = scoring.score(TopKCandidates.schema(queries, corpus), k, excludeSelf, minScore, settings,
        recallSample, corpusData.blocks(), cache, pairsScored, stats, unitDocs, unitQueries);
    stats.put("cellGroups", groups);
    return result;
  }

  /**
   * For every query (id, vector) its approximate {@code k} best rows of an index built before
   * ({@code StoredCells}: its centroids, their groups and a reader of the rows of any groups):
   * the queries are routed to their {@code nprobe} nearest cells, and only the groups they probe
   * are read and scored, as {@link #topK} scores. The recall sample, when asked for, is measured
   * against exact search over every row of the index (one more pass over it).
   */
  public static Result topKInCells(SparkSession spark, Dataset<Row> queries, StoredCells index, int k,
      double minScore, Settings settings, int recallSample, SearchCache cache, LongAccumulator pairsScored) {
    Map<String, Object> stats = new LinkedHashMap<>();
    MaxAccumulator unitDocs = new MaxAccumulator();
    MaxAccumulator unitQueries = new MaxAccumulator();
    spark.sparkContext().register(unitDocs, "gte-ivf-unit-docs");
    spark.sparkContext().register(unitQueries, "gte-ivf-unit-queries");
    long t0 = System.nanoTime();
    UnitVectorBlocks queryData = UnitVectorBlocks.cache(queries, settings.blockRows);
    cache.add(queryData.blocks());
    float[][] centres = index.centroids();
    int nprobe = Math.min(settings.nprobe, centres.length);
    stats.put("nlist", centres.length);
    stats.put("nprobe", nprobe);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = cache.add(jsc.broadcast(SphericalKMeans.Model.block(centres)));
    JavaRDD<RoutedBlock> routedQueries = routed(queryData.blocks(), cache.add(route(queryData.blocks(), centroids,
        nprobe).persist(StorageLevel.MEMORY_AND_DISK())), nprobe);
    // The groups any query probes: at most the index's group count reaches the driver.
    int[] groupOf = index.groupOf();
    Broadcast<int[]> cellGroups = cache.add(jsc.broadcast(groupOf));
    List<Integer> probed = routedQueries.flatMap(b -> {
      java.util.Set<Integer> g = new java.util.HashSet<>();
      for (int c : b.cells) {
        g.add(cellGroups.value()[c]);
      }
      return g.iterator();
    }).distinct().collect();
    int[] read = probed.stream().mapToInt(Integer::intValue).sorted().toArray();
    stats.put("indexGroups", index.groups());
    stats.put("indexGroupsRead", read.length);
    StructType schema = TopKCandidates.schema(queries, index.allRows());
    long queryBytes = queryData.rows() * 4L * centres[0].length;
    System.out.printf("similarity --index: %d queries probe %d of %d cell groups (routed in %.1f s)%n",
        queryData.rows(), read.length, index.groups(), (System.nanoTime() - t0) / 1e9);
    if (queryData.rows() == 0 || read.length == 0) {
      return new Result(spark.createDataFrame(new ArrayList<>(), schema), queryData.rows(), 0, stats, unitDocs,
          unitQueries, null, null);
    }
    if (queryBytes <= org.apache.spark.network.util.JavaUtils.byteStringAsBytes(
        spark.conf().get(BROADCAST_QUERY_BYTES, "64m"))) {
      // Few enough queries to send every task: each reads its share of the probed groups once and
      // scores their rows in place, by the cell each row is stored with.
      stats.put("indexScan", "broadcast queries");
      Broadcast<ProbedCellScan> scan = cache.add(jsc.broadcast(ProbedCellScan.of(routedQueries.collect(),
          centres.length)));
      JavaRDD<Tuple2<Object, TopKHeap>> partial = ProbedCellScan.partials(index.cellRowsOfGroups(read), scan, k,
          minScore, pairsScored);
      // Planned only when measured: planning the read of every row lists (and counts) all its files.
      RecallProbe probe = recallSample <= 0 ? null : RecallProbe.prepare(queryData.blocks(),
          UnitVectorBlocks.read(index.allRows(), settings.blockRows, null), k, false, minScore, recallSample,
          settings.seed);
      RecallProbe.Tap tap = probe == null ? null : probe.tap(spark.sparkContext());
      return new Result(TopKCandidates.rank(spark, partial, schema, tap), queryData.rows(), index.rows(), stats,
          unitDocs, unitQueries, probe, tap);
    }
    // Too many queries to broadcast: the probed groups' rows and the queries meet in the packet
    // shuffle of --approx, unit by unit.
    stats.put("indexScan", "shuffled queries");
    UnitVectorBlocks corpusData = UnitVectorBlocks.cache(index.rowsOfGroups(read), settings.blockRows);
    cache.add(corpusData.blocks());
    stats.put("indexRowsRead", corpusData.rows());
    if (corpusData.rows() == 0) {
      return new Result(spark.createDataFrame(new ArrayList<>(), schema), queryData.rows(), 0, stats, unitDocs,
          unitQueries, null, null);
    }
    JavaRDD<RoutedBlock> routedCorpus = routed(corpusData.blocks(), cache.add(route(corpusData.blocks(), centroids,
        1).persist(StorageLevel.MEMORY_AND_DISK())), 1);
    Scoring scoring = new Scoring(spark, queryData, corpusData, false, routedQueries, routedCorpus, centres, groupOf,
        index.groups(), nprobe, System.nanoTime());
    JavaRDD<VectorBlock> everyRow = recallSample > 0 ? UnitVectorBlocks.read(index.allRows(), settings.blockRows, null)
        : corpusData.blocks();
    return scoring.score(schema, k, false, minScore, settings, recallSample, everyRow, cache, pairsScored, stats,
        unitDocs, unitQueries);
  }

  /** Both sides cached and routed to one set of grouped cells: what scoring them needs. */
  private static final class Scoring {
    private final SparkSession spark;
    private final UnitVectorBlocks queryData;
    private final UnitVectorBlocks corpusData;
    private final boolean self;
    private final JavaRDD<RoutedBlock> routedQueries;
    private final JavaRDD<RoutedBlock> routedCorpus;
    private final float[][] centres;
    private final int[] groupOf;
    private final int groups;
    private final int nprobe;
    private final long routedSince;

    Scoring(SparkSession spark, UnitVectorBlocks queryData, UnitVectorBlocks corpusData, boolean self,
        JavaRDD<RoutedBlock> routedQueries, JavaRDD<RoutedBlock> routedCorpus, float[][] centres, int[] groupOf,
        int groups, int nprobe, long routedSince) {
      this.spark = spark;
      this.queryData = queryData;
      this.corpusData = corpusData;
      this.self = self;
      this.routedQueries = routedQueries;
      this.routedCorpus = routedCorpus;
      this.centres = centres;
      this.groupOf = groupOf;
      this.groups = groups;
      this.nprobe = nprobe;
      this.routedSince = routedSince;
    }

    /**
     * Counts the cells, packs each side into unit packets, scores every unit and ranks the
     * partial lists; the recall sample is scored exactly against {@code probeCorpus} first.
     */
    Result score(StructType schema, int k, boolean excludeSelf, double minScore, Settings settings, int recallSample,
        JavaRDD<VectorBlock> probeCorpus, SearchCache cache, LongAccumulator pairsScored, Map<String, Object> stats,
        MaxAccumulator unitDocs, MaxAccumulator unitQueries) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      // Locals, not fields, in what the tasks run: a lambda reading a field would ship this object.
      boolean self = this.self;
      int parallelism = spark.sparkContext().defaultParallelism();
      int nlist = centres.length;
      long nd = corpusData.rows();
      long nq = queryData.rows();
      Broadcast<int[]> cellGroups = cache.add(jsc.broadcast(groupOf));
      int cells = nlist;
      long[] docsPerCell;
      long[] queriesPerGroup;
      if (self) {
        long[][] counts = countCells(routedQueries, cellGroups, cells, groups, true, true, parallelism);
        docsPerCell = counts[0];
        queriesPerGroup = counts[1];
      } else {
        docsPerCell = countCells(routedCorpus, cellGroups, cells, groups, true, false, parallelism)[0];
        queriesPerGroup = countCells(routedQueries, cellGroups, cells, groups, false, true, parallelism)[1];
      }
      long[] docsPerGroup = new long[groups];
      for (int c = 0; c < nlist; c++) {
        docsPerGroup[groupOf[c]] += docsPerCell[c];
      }
      long queryCopies = Arrays.stream(queriesPerGroup).sum();
      System.out.printf("similarity --approx: %d corpus rows in cells (largest %d), %d queries routed to %d cells "
          + "each (%.1f cell groups each) in %.1f s%n", nd, Arrays.stream(docsPerCell).max().orElse(0), nq, nprobe,
          queryCopies / (double) nq, (System.nanoTime() - routedSince) / 1e9);
      int[] chunks = chunks(docsPerGroup, settings.unitRows);
      Broadcast<int[]> docChunks = cache.add(jsc.broadcast(chunks));

      // Unit of work (group, doc chunk): at most about unitRows corpus rows, held while the queries
      // that probe its cells stream past a packet at a time (a packet is at most one input block).
      // Rows cross the shuffle as one packet per input block and unit, and the sort puts a unit's
      // corpus packets before its query packets, so no task holds an unbounded side. In a self
      // search a row's corpus packet also carries the cells it probes in its own group, so a row
      // travels there once, as both.
      JavaPairRDD<Long, CellPacket> docs = routedCorpus.flatMapToPair(b ->
          b.docPackets(cellGroups.value(), docChunks.value(), self).iterator());
      JavaPairRDD<Long, CellPacket> probes = routedQueries.flatMapToPair(b ->
          b.queryPackets(cellGroups.value(), docChunks.value(), self).iterator());
      // Enough partitions that each sorts about 64 MiB of packets (a reduce task sorts all of its
      // packets before it scores the first unit), and the units spread over them by their work.
      long packetBytes = (nd + queryCopies - (self ? nq : 0)) * 4L * centres[0].length;
      int totalUnits = Arrays.stream(chunks).sum();
      int partitions = (int) Math.min(totalUnits, Math.max(Math.max(
          Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions")), 2 * parallelism),
          Math.min(100_000, packetBytes / (64L << 20) + 1)));
      UnitPartitioner partitioner = UnitPartitioner.balanced(docsPerGroup, queriesPerGroup, chunks, partitions);
      JavaRDD<Tuple2<Object, TopKHeap>> partial = sortedByUnit(docs.union(probes), partitioner)
          .mapPartitions(new ScoreUnits(k, excludeSelf, minScore, self, pairsScored, unitDocs, unitQueries));
      RecallProbe probe = RecallProbe.prepare(queryData.blocks(), probeCorpus, k, excludeSelf, minScore,
          recallSample, settings.seed);
      RecallProbe.Tap tap = probe == null ? null : probe.tap(spark.sparkContext());
      Dataset<Row> result = TopKCandidates.rank(spark, partial, schema, tap);

      long[] sorted = docsPerCell.clone();
      Arrays.sort(sorted);
      stats.put("cellRowsMin", sorted[0]);
      stats.put("cellRowsMedian", sorted[sorted.length / 2]);
      stats.put("cellRowsMax", sorted[sorted.length - 1]);
      stats.put("emptyCells", Arrays.stream(sorted).filter(n -> n == 0).count());
      stats.put("queryCopies", queryCopies);
      return new Result(result, queryData, corpusData, stats, unitDocs, unitQueries, probe, tap);
    }
  }

  /**
   * {docs per cell, queries per cell group} of the routed blocks, combined by cell and group on the
   * executors, so the driver receives at most nlist + groups numbers however many partitions there
   * are (a dense array from every task would grow with partitions times cells).
   */
  private static long[][] countCells(JavaRDD<RoutedBlock> routed, Broadcast<int[]> cellGroups, int nlist,
      int groups, boolean docs, boolean queries, int reducers) {
    List<Tuple2<Integer, Long>> counted = routed.flatMapToPair(b -> {
      long[][] c = b.counts(nlist, cellGroups.value(), groups, docs, queries);
      List<Tuple2<Integer, Long>> out = new ArrayList<>();
      for (int i = 0; i < c[0].length; i++) {
        if (c[0][i] > 0) {
          out.add(new Tuple2<>(i, c[0][i]));
        }
      }
      for (int g = 0; g < c[1].length; g++) {
        if (c[1][g] > 0) {
          out.add(new Tuple2<>(nlist + g, c[1][g]));
        }
      }
      return out.iterator();
    }).reduceByKey(Long::sum, Math.max(1, reducers)).collect();
    long[][] totals = {new long[nlist], new long[groups]};
    for (Tuple2<Integer, Long> t : counted) {
      if (t._1() < nlist) {
        totals[0][t._1()] = t._2();
      } else {
        totals[1][t._1() - nlist] = t._2();
      }
    }
    return totals;
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

  /** The key of unit (cell group, doc chunk): 23 + 20 bits. */
  static long unit(int group, int docChunk) {
    return ((long) group << 20) | docChunk;
  }

  /** A packet's shuffle key: its unit, then 0 for corpus rows and 1 for queries, so a unit's corpus sorts first. */
  static long packetKey(long unit, boolean query) {
    return (unit << 1) | (query ? 1 : 0);
  }

  /**
   * The packets shuffled to their units' partitions, sorted by key (a unit's corpus first). The
   * shuffle has a serializer of its own ({@link CellPacketSerializer}), which keeps no reference
   * to what it wrote: Spark's Java serializer keeps the last 100 objects of a stream reachable,
   * which for packets of megabytes held gigabytes and ran a 200,000-row search out of a 2 GiB heap.
   */
  private static JavaRDD<Tuple2<Long, CellPacket>> sortedByUnit(JavaPairRDD<Long, CellPacket> packets,
      UnitPartitioner partitioner) {
    org.apache.spark.rdd.ShuffledRDD<Long, CellPacket, CellPacket> shuffled = new org.apache.spark.rdd.ShuffledRDD<>(
        packets.rdd(), partitioner, scala.reflect.ClassTag$.MODULE$.apply(Long.class),
        scala.reflect.ClassTag$.MODULE$.apply(CellPacket.class), scala.reflect.ClassTag$.MODULE$.apply(CellPacket.class));
    shuffled.setSerializer(new CellPacketSerializer());
    shuffled.setKeyOrdering(scala.math.Ordering.comparatorToOrdering(java.util.Comparator.<Long>naturalOrder()));
    return shuffled.toJavaRDD();
  }

  /**
   * Sends every packet of a unit, corpus and queries alike, to one partition, the units placed by
   * their estimated work (corpus rows times the queries that probe their group), biggest first
   * into the least loaded partition, and partition 0 the most loaded: Spark starts tasks in
   * partition order, so the longest start first and the short ones fill in at the end.
   */
  static final class UnitPartitioner extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    /** Units of groups before group g: unit (g, chunk) has index firstUnit[g] + chunk. */
    private final int[] firstUnit;
    private final int[] partitionOf;
    private final int partitions;

    private UnitPartitioner(int[] firstUnit, int[] partitionOf, int partitions) {
      this.firstUnit = firstUnit;
      this.partitionOf = partitionOf;
      this.partitions = partitions;
    }

    /** Units (group, chunk) spread over {@code partitions} by their work. */
    static UnitPartitioner balanced(long[] docsPerGroup, long[] queriesPerGroup, int[] chunks, int partitions) {
      int groups = chunks.length;
      int[] firstUnit = new int[groups + 1];
      for (int g = 0; g < groups; g++) {
        firstUnit[g + 1] = firstUnit[g] + chunks[g];
      }
      int units = firstUnit[groups];
      double[] work = new double[units];
      Integer[] order = new Integer[units];
      for (int g = 0; g < groups; g++) {
        for (int c = 0; c < chunks[g]; c++) {
          int u = firstUnit[g] + c;
          work[u] = (double) docsPerGroup[g] / chunks[g] * Math.max(1, queriesPerGroup[g]);
          order[u] = u;
        }
      }
      Arrays.sort(order, (a, b) -> work[a] != work[b] ? Double.compare(work[b], work[a]) : Integer.compare(a, b));
      int bins = Math.max(1, Math.min(partitions, units));
      double[] load = new double[bins];
      int[] binOf = new int[units];
      java.util.PriorityQueue<Integer> lightest = new java.util.PriorityQueue<>(bins, (a, b) ->
          load[a] != load[b] ? Double.compare(load[a], load[b]) : Integer.compare(a, b));
      for (int b = 0; b < bins; b++) {
        lightest.add(b);
      }
      for (int u : order) {
        int b = lightest.poll();
        binOf[u] = b;
        load[b] += work[u];
        lightest.add(b);
      }
      Integer[] byLoad = new Integer[bins];
      for (int b = 0; b < bins; b++) {
        byLoad[b] = b;
      }
      Arrays.sort(byLoad, (a, b) -> load[a] != load[b] ? Double.compare(load[b], load[a]) : Integer.compare(a, b));
      int[] rankOf = new int[bins];
      for (int r = 0; r < bins; r++) {
        rankOf[byLoad[r]] = r;
      }
      int[] partitionOf = new int[units];
      for (int u = 0; u < units; u++) {
        partitionOf[u] = rankOf[binOf[u]];
      }
      return new UnitPartitioner(firstUnit, partitionOf, bins);
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      long unit = ((Long) key) >>> 1;
      return partitionOf[firstUnit[(int) (unit >>> 20)] + (int) (unit & 0xFFFFF)];
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof UnitPartitioner && Arrays.equals(((UnitPartitioner) other).partitionOf, partitionOf)
          && Arrays.equals(((UnitPartitioner) other).firstUnit, firstUnit);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(partitionOf);
    }
  }

  /** A block of unit vectors with each row's {@code m} nearest cells, nearest first. */
  static final class RoutedBlock implements Serializable {
    private static final long serialVersionUID = 1L;
    final VectorBlock block;
    /** Row i's cells are {@code cells[i * m] .. cells[i * m + m - 1]}. */
    final int[] cells;
    final int m;

    RoutedBlock(VectorBlock block, int[] cells, int m) {
      this.block = block;
      this.cells = cells;
      this.m = m;
    }

    /** Corpus rows per cell (from each row's nearest cell) and queries per cell group, as asked. */
    long[][] counts(int nlist, int[] groupOf, int groups, boolean docs, boolean queries) {
      long[] perCell = new long[docs ? nlist : 0];
      long[] perGroup = new long[queries ? groups : 0];
      ProbedGroups probed = new ProbedGroups(m);
      for (int i = 0; i < block.rows(); i++) {
        if (docs) {
          perCell[cells[i * m]]++;
        }
        if (queries) {
          probed.of(cells, i * m, groupOf);
          for (int j = 0; j < probed.groups; j++) {
            perGroup[probed.group[j]]++;
          }
        }
      }
      return new long[][] {perCell, perGroup};
    }

    /**
     * This block's corpus rows as packets, one per unit (their cell's group and their chunk of it).
     * A row's first cell is its own; in a self search the cells it probes in that group follow.
     */
    List<Tuple2<Long, CellPacket>> docPackets(int[] groupOf, int[] docChunks, boolean self) {
      long[] keys = new long[block.rows()];
      int[] cellCount = new int[block.rows()];
      ProbedGroups probed = new ProbedGroups(m);
      Map<Long, int[]> sizes = new LinkedHashMap<>(); // key -> {rows, cells}
      for (int i = 0; i < block.rows(); i++) {
        int g = groupOf[cells[i * m]];
        keys[i] = packetKey(unit(g, chunkOf(block.id(i), g, docChunks[g])), false);
        cellCount[i] = self ? probed.of(cells, i * m, groupOf).count(0) : 1;
        int[] size = sizes.computeIfAbsent(keys[i], x -> new int[2]);
        size[0]++;
        size[1] += cellCount[i];
      }
      Map<Long, CellPacket.Builder> open = builders(sizes);
      for (int i = 0; i < block.rows(); i++) {
        if (self) {
          probed.of(cells, i * m, groupOf);
          open.get(keys[i]).add(block.id(i), block.values(), i, probed.cells, 0, cellCount[i]);
        } else {
          open.get(keys[i]).add(block.id(i), block.values(), i, cells, i * m, 1);
        }
      }
      return built(open);
    }

    /**
     * This block's queries as packets: per group they probe, its doc chunks, with the cells probed
     * there. In a self search a row's own chunk of its own group has it already (its corpus packet).
     */
    List<Tuple2<Long, CellPacket>> queryPackets(int[] groupOf, int[] docChunks, boolean self) {
      // Two passes over the rows: the first sizes each packet, the second fills it.
      Map<Long, int[]> sizes = new LinkedHashMap<>();
      Map<Long, CellPacket.Builder> open = null;
      ProbedGroups probed = new ProbedGroups(m);
      for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
          open = builders(sizes);
        }
        for (int i = 0; i < block.rows(); i++) {
          probed.of(cells, i * m, groupOf);
          int ownGroup = groupOf[cells[i * m]];
          int ownChunk = self ? chunkOf(block.id(i), ownGroup, docChunks[ownGroup]) : -1;
          for (int j = 0; j < probed.groups; j++) {
            int g = probed.group[j];
            for (int d = 0; d < docChunks[g]; d++) {
              if (self && g == ownGroup && d == ownChunk) {
                continue;
              }
              long key = packetKey(unit(g, d), true);
              if (pass == 0) {
                int[] size = sizes.computeIfAbsent(key, x -> new int[2]);
                size[0]++;
                size[1] += probed.count(j);
              } else {
                open.get(key).add(block.id(i), block.values(), i, probed.cells, probed.start[j], probed.count(j));
              }
            }
          }
        }
      }
      return built(open);
    }

    private Map<Long, CellPacket.Builder> builders(Map<Long, int[]> sizes) {
      Map<Long, CellPacket.Builder> open = new LinkedHashMap<>();
      sizes.forEach((key, size) -> open.put(key, new CellPacket.Builder(block.dim(), size[0], size[1])));
      return open;
    }

    private static List<Tuple2<Long, CellPacket>> built(Map<Long, CellPacket.Builder> open) {
      List<Tuple2<Long, CellPacket>> out = new ArrayList<>(open.size());
      open.forEach((key, b) -> out.add(new Tuple2<>(key, b.build())));
      return out;
    }
  }

  /**
   * One row's probed cells grouped by cell group, groups in the order of their nearest cell (so a
   * row's own group, that of its nearest cell, comes first) and cells nearest first within each.
   * Reused from row to row.
   */
  static final class ProbedGroups {
    final int[] group;
    final int[] start;
    final int[] cells;
    int groups;
    private final boolean[] taken;

    ProbedGroups(int m) {
      group = new int[m];
      start = new int[m + 1];
      cells = new int[m];
      taken = new boolean[m];
    }

    /** Groups the {@code m} cells at {@code source[from..]}. */
    ProbedGroups of(int[] source, int from, int[] groupOf) {
      int m = cells.length;
      Arrays.fill(taken, false);
      groups = 0;
      int n = 0;
      for (int j = 0; j < m; j++) {
        if (taken[j]) {
          continue;
        }
        int g = groupOf[source[from + j]];
        group[groups] = g;
        start[groups] = n;
        for (int l = j; l < m; l++) {
          if (!taken[l] && groupOf[source[from + l]] == g) {
            cells[n++] = source[from + l];
            taken[l] = true;
          }
        }
        groups++;
      }
      start[groups] = n;
      return this;
    }

    /** Cells in group {@code j}. */
    int count(int j) {
      return start[j + 1] - start[j];
    }
  }

  /** Each block's rows' {@code nprobe} nearest cells, nearest first (row i at {@code i * m}). */
  private static JavaRDD<int[]> route(JavaRDD<VectorBlock> blocks, Broadcast<VectorBlock> centroids, int nprobe) {
    return blocks.mapPartitions(it -> {
      int m = Math.min(nprobe, centroids.value().rows());
      List<int[]> out = new ArrayList<>();
      TileRouting.forEach(it, centroids.value(), m, (block, first, count, nearest, router) -> {
        if (first == 0) {
          out.add(new int[block.rows() * m]);
        }
        int[] cells = out.get(out.size() - 1);
        for (int i = 0; i < count; i++) {
          System.arraycopy(nearest[i], 0, cells, (first + i) * m, m);
        }
      });
      return out.iterator();
    });
  }

  /** The blocks paired with their cached cells ({@code cells} was made from {@code blocks} by {@link #route}). */
  private static JavaRDD<RoutedBlock> routed(JavaRDD<VectorBlock> blocks, JavaRDD<int[]> cells, int m) {
    return blocks.zipPartitions(cells, (b, c) -> {
      List<RoutedBlock> out = new ArrayList<>();
      while (b.hasNext() && c.hasNext()) {
        VectorBlock block = b.next();
        int[] nearest = c.next();
        if (nearest.length != block.rows() * m) {
          throw new IllegalStateException("routed cells of " + nearest.length / m + " rows for a block of "
              + block.rows());
        }
        out.add(new RoutedBlock(block, nearest, m));
      }
      if (b.hasNext() || c.hasNext()) {
        throw new IllegalStateException("routed cells and vector blocks differ in number");
      }
      return out.iterator();
    });
  }

  /**
   * Scores the units of one partition, whose packets arrive sorted by unit with each unit's corpus
   * packets first: those are ordered by cell once ({@link UnitScorer#prepare}), then every query
   * packet is scored against them and its partial top-K lists leave at once. A self search's corpus
   * rows leave with theirs when the unit ends.
   */
  static final class ScoreUnits implements org.apache.spark.api.java.function.FlatMapFunction<
      Iterator<Tuple2<Long, CellPacket>>, Tuple2<Object, TopKHeap>> {
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
    public Iterator<Tuple2<Object, TopKHeap>> call(Iterator<Tuple2<Long, CellPacket>> packets) {
      UnitScorer scorer = new UnitScorer(k, excludeSelf, minScore, self);
      return new Iterator<Tuple2<Object, TopKHeap>>() {
        private Iterator<Tuple2<Object, TopKHeap>> ready = java.util.Collections.emptyIterator();
        private long unit = -1;
        private final List<CellPacket> corpus = new ArrayList<>();
        private UnitScorer.Docs docs;
        private boolean prepared;

        @Override
        public boolean hasNext() {
          while (!ready.hasNext() && (packets.hasNext() || unit >= 0)) {
            if (!packets.hasNext()) {
              ready = endUnit().iterator();
              unit = -1;
              continue;
            }
            Tuple2<Long, CellPacket> p = packets.next();
            long key = p._1();
            List<Tuple2<Object, TopKHeap>> out = new ArrayList<>();
            if ((key >>> 1) != unit) {
              out.addAll(endUnit());
              unit = key >>> 1;
            }
            if ((key & 1) == 0) {
              corpus.add(p._2());
            } else {
              startScoring();
              out.addAll(scoreQueries(p._2(), -1));
            }
            ready = out.iterator();
          }
          return ready.hasNext();
        }

        /**
         * Once a unit's corpus is in: its rows ordered by cell, and in a self search its corpus
         * packets scored as the queries they also are (their lists stay with the corpus rows').
         */
        private void startScoring() {
          if (prepared) {
            return;
          }
          prepared = true;
          docs = scorer.prepare(corpus);
          if (docs != null) {
            unitDocs.add((long) docs.rows);
            if (self) {
              int firstRow = 0;
              for (CellPacket packet : corpus) {
                scoreQueries(packet, firstRow);
                firstRow += packet.rows();
              }
            }
          }
          corpus.clear();
        }

        /** A packet's partial lists; for the unit's own rows ({@code ownFrom} >= 0) none, they stay in {@code docs}. */
        private List<Tuple2<Object, TopKHeap>> scoreQueries(CellPacket queries, int ownFrom) {
          if (docs == null) {
            return List.of();
          }
          unitQueries.add((long) queries.rows());
          long before = scorer.pairs();
          List<Tuple2<Object, TopKHeap>> out = List.of();
          if (ownFrom >= 0) {
            scorer.scoreOwn(docs, queries, ownFrom);
          } else {
            out = scorer.score(docs, queries);
          }
          pairsScored.add(scorer.pairs() - before);
          return out;
        }

        /** The finished unit's corpus lists (a self search), and a clean slate for the next. */
        private List<Tuple2<Object, TopKHeap>> endUnit() {
          if (unit >= 0) {
            startScoring();
          }
          List<Tuple2<Object, TopKHeap>> out = UnitScorer.docLists(docs);
          docs = null;
          prepared = false;
          corpus.clear();
          return out;
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
  }
}
