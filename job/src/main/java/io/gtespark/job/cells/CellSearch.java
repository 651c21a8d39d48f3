package io.gtespark.job.cells;

import io.gtespark.job.metrics.MaxAccumulator;
import io.gtespark.job.search.RecallProbe;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.search.TopKCandidates;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.Arrays;
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
 * driver holds the centroids and per-cell counts only. Training is {@link CellTraining}, routing
 * {@link CellRouting}, packing {@link RoutedBlock} and {@link UnitPartitioner}, scoring
 * {@link ScoreUnits} (or {@link ProbedCellScan} for few queries against stored cells); this class
 * puts them in order for cells trained for one search ({@link #topK}) or read from the lake
 * ({@link #topKInCells}).
 */
public final class CellSearch {
  /**
   * The session property that bounds the query vectors an index search sends every task instead
   * of shuffling them to the cells; 64 MiB by default (43,690 queries of 384 dimensions).
   */
  public static final String BROADCAST_QUERY_BYTES = "spark.gte.similarity.indexBroadcastQueryBytes";

  private CellSearch() {}

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
    /** Bytes the tasks that read an index's probed cells read (Spark's input metrics), or null. */
    private LongAccumulator indexBytesRead;

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
      if (indexBytesRead != null) {
        out.put("indexBytesRead", indexBytesRead.value());
      }
      return out;
    }

    private Result readingIndexBytes(LongAccumulator bytesRead) {
      this.indexBytesRead = bytesRead;
      return this;
    }
  }

  /**
   * For every query (id, vector) its approximate {@code k} best corpus rows. {@code self}: queries
   * and corpus are one table, routed once. Persisted data is added to {@code cache}. With a
   * {@code recallSample} above 0 that many queries get their exact lists first, and their
   * approximate ones are kept as the result is written ({@link Result#recall}).
   */
  public static Result topK(SparkSession spark, Dataset<Row> queries, Dataset<Row> corpus, boolean self, int k,
      boolean excludeSelf, double minScore, CellSettings settings, int recallSample, SearchCache cache,
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
    CellTraining trained = CellTraining.ofBlocks(corpusData, settings);
    int nlist = trained.nlist();
    int nprobe = settings.probesFor(nlist);
    System.out.printf("similarity --approx: %d cells trained on %d rows in %.1f s (%d iterations)%n", nlist,
        trained.trainRows(), trained.seconds(), trained.iterations());
    // Cells are grouped (k-means over the centroids, about unitRows docs a group, and enough
    // groups to keep every core busy) so that a query, whose probed cells lie close together,
    // travels to few groups instead of nprobe cells.
    int parallelism = spark.sparkContext().defaultParallelism();
    Cells cells = trained.grouped((int) Math.min(nlist, Math.max((nd + settings.unitRows - 1) / settings.unitRows,
        4L * parallelism)), settings.seed);
    long t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = cache.add(jsc.broadcast(cells.block()));

    // Each row's nearest cells; for --self one pass routes each row as both.
    JavaRDD<RoutedBlock> routedQueries = CellRouting.routed(queryData.blocks(), centroids, nprobe, cache);
    JavaRDD<RoutedBlock> routedCorpus = self ? routedQueries
        : CellRouting.routed(corpusData.blocks(), centroids, 1, cache);
    stats.put("nlist", nlist);
    stats.put("nprobe", nprobe);
    stats.put("trainRows", trained.trainRows());
    stats.put("trainIterations", trained.iterations());
    Scoring scoring = new Scoring(spark, queryData, corpusData, self, routedQueries, routedCorpus, cells, nprobe, t0);
    Result result = scoring.score(TopKCandidates.schema(queries, corpus), k, excludeSelf, minScore, settings,
        recallSample, corpusData.blocks(), cache, pairsScored, stats, unitDocs, unitQueries);
    stats.put("cellGroups", cells.groups());
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
      double minScore, CellSettings settings, int recallSample, SearchCache cache, LongAccumulator pairsScored) {
    Map<String, Object> stats = new LinkedHashMap<>();
    MaxAccumulator unitDocs = new MaxAccumulator();
    MaxAccumulator unitQueries = new MaxAccumulator();
    spark.sparkContext().register(unitDocs, "gte-ivf-unit-docs");
    spark.sparkContext().register(unitQueries, "gte-ivf-unit-queries");
    long t0 = System.nanoTime();
    UnitVectorBlocks queryData = UnitVectorBlocks.cache(queries, settings.blockRows);
    cache.add(queryData.blocks());
    Cells cells = index.cells();
    int nprobe = settings.probesOfIndex(cells.nlist());
    stats.put("nlist", cells.nlist());
    stats.put("nprobe", nprobe);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = cache.add(jsc.broadcast(cells.block()));
    JavaRDD<RoutedBlock> routedQueries = CellRouting.routed(queryData.blocks(), centroids, nprobe, cache);
    // The cells any query probes: at most the index's cell count reaches the driver.
    int[] probed = routedQueries.flatMap(b -> {
      java.util.Set<Integer> c = new java.util.HashSet<>();
      for (int cell : b.cells) {
        c.add(cell);
      }
      return c.iterator();
    }).distinct().collect().stream().mapToInt(Integer::intValue).sorted().toArray();
    int[] groupOf = cells.groupOf();
    long groupsRead = java.util.Arrays.stream(probed).map(c -> groupOf[c]).distinct().count();
    stats.put("indexGroups", cells.groups());
    stats.put("indexGroupsRead", groupsRead);
    stats.put("indexCellsRead", probed.length);
    StructType schema = TopKCandidates.schema(queries, index.allRows());
    long queryBytes = queryData.rows() * 4L * cells.dimension();
    System.out.printf("similarity --index: %d queries probe %d of %d cells, in %d of %d cell groups (routed in "
        + "%.1f s)%n", queryData.rows(), probed.length, cells.nlist(), groupsRead, cells.groups(),
        (System.nanoTime() - t0) / 1e9);
    if (queryData.rows() == 0 || probed.length == 0) {
      return new Result(spark.createDataFrame(new ArrayList<>(), schema), queryData.rows(), 0, stats, unitDocs,
          unitQueries, null, null);
    }
    if (queryBytes <= org.apache.spark.network.util.JavaUtils.byteStringAsBytes(
        spark.conf().get(BROADCAST_QUERY_BYTES, "64m"))) {
      // Few enough queries to send every task: each reads its share of the probed cells' rows once
      // and scores them in place, by the cell each row is stored with.
      stats.put("indexScan", "broadcast queries");
      Broadcast<ProbedCellScan> scan = cache.add(jsc.broadcast(ProbedCellScan.of(routedQueries.collect(),
          cells.nlist())));
      LongAccumulator bytesRead = spark.sparkContext().longAccumulator("gte-index-bytes-read");
      JavaRDD<Tuple2<Object, TopKHeap>> partial = ProbedCellScan.partials(index.cellRowsOfCells(probed), scan, k,
          minScore, pairsScored, bytesRead);
      // Planned only when measured: planning the read of every row lists (and counts) all its files.
      RecallProbe probe = recallSample <= 0 ? null : RecallProbe.prepare(queryData.blocks(),
          UnitVectorBlocks.read(index.allRows(), settings.blockRows, null), k, false, minScore, recallSample,
          settings.seed);
      RecallProbe.Tap tap = probe == null ? null : probe.tap(spark.sparkContext());
      return new Result(TopKCandidates.rank(spark, partial, schema, tap), queryData.rows(), index.rows(), stats,
          unitDocs, unitQueries, probe, tap).readingIndexBytes(bytesRead);
    }
    // Too many queries to broadcast: the probed groups' rows and the queries meet in the packet
    // shuffle of --approx, unit by unit.
    stats.put("indexScan", "shuffled queries");
    UnitVectorBlocks corpusData = UnitVectorBlocks.cache(index.rowsOfCells(probed), settings.blockRows);
    cache.add(corpusData.blocks());
    stats.put("indexRowsRead", corpusData.rows());
    if (corpusData.rows() == 0) {
      return new Result(spark.createDataFrame(new ArrayList<>(), schema), queryData.rows(), 0, stats, unitDocs,
          unitQueries, null, null);
    }
    JavaRDD<RoutedBlock> routedCorpus = CellRouting.routed(corpusData.blocks(), centroids, 1, cache);
    Scoring scoring = new Scoring(spark, queryData, corpusData, false, routedQueries, routedCorpus, cells, nprobe,
        System.nanoTime());
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
    private final Cells cells;
    private final int nprobe;
    private final long routedSince;

    Scoring(SparkSession spark, UnitVectorBlocks queryData, UnitVectorBlocks corpusData, boolean self,
        JavaRDD<RoutedBlock> routedQueries, JavaRDD<RoutedBlock> routedCorpus, Cells cells, int nprobe,
        long routedSince) {
      this.spark = spark;
      this.queryData = queryData;
      this.corpusData = corpusData;
      this.self = self;
      this.routedQueries = routedQueries;
      this.routedCorpus = routedCorpus;
      this.cells = cells;
      this.nprobe = nprobe;
      this.routedSince = routedSince;
    }

    /**
     * Counts the cells, packs each side into unit packets, scores every unit and ranks the
     * partial lists; the recall sample is scored exactly against {@code probeCorpus} first.
     */
    Result score(StructType schema, int k, boolean excludeSelf, double minScore, CellSettings settings, int recallSample,
        JavaRDD<VectorBlock> probeCorpus, SearchCache cache, LongAccumulator pairsScored, Map<String, Object> stats,
        MaxAccumulator unitDocs, MaxAccumulator unitQueries) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      // Locals, not fields, in what the tasks run: a lambda reading a field would ship this object.
      boolean self = this.self;
      int parallelism = spark.sparkContext().defaultParallelism();
      int nlist = cells.nlist();
      int groups = cells.groups();
      int[] groupOf = cells.groupOf();
      long nd = corpusData.rows();
      long nq = queryData.rows();
      Broadcast<int[]> cellGroups = cache.add(jsc.broadcast(groupOf));
      long[] docsPerCell;
      long[] queriesPerGroup;
      if (self) {
        long[][] counts = CellRouting.countCells(routedQueries, cellGroups, nlist, groups, true, true, parallelism);
        docsPerCell = counts[0];
        queriesPerGroup = counts[1];
      } else {
        docsPerCell = CellRouting.countCells(routedCorpus, cellGroups, nlist, groups, true, false, parallelism)[0];
        queriesPerGroup = CellRouting.countCells(routedQueries, cellGroups, nlist, groups, false, true, parallelism)[1];
      }
      long[] docsPerGroup = new long[groups];
      for (int c = 0; c < nlist; c++) {
        docsPerGroup[groupOf[c]] += docsPerCell[c];
      }
      long queryCopies = Arrays.stream(queriesPerGroup).sum();
      System.out.printf("similarity --approx: %d corpus rows in cells (largest %d), %d queries routed to %d cells "
          + "each (%.1f cell groups each) in %.1f s%n", nd, Arrays.stream(docsPerCell).max().orElse(0), nq, nprobe,
          queryCopies / (double) nq, (System.nanoTime() - routedSince) / 1e9);
      int[] chunks = UnitKeys.chunks(docsPerGroup, settings.unitRows);
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
      long packetBytes = (nd + queryCopies - (self ? nq : 0)) * 4L * cells.dimension();
      int totalUnits = Arrays.stream(chunks).sum();
      int partitions = (int) Math.min(totalUnits, Math.max(Math.max(
          Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions")), 2 * parallelism),
          Math.min(100_000, packetBytes / (64L << 20) + 1)));
      UnitPartitioner partitioner = UnitPartitioner.balanced(docsPerGroup, queriesPerGroup, chunks, partitions);
      JavaRDD<Tuple2<Object, TopKHeap>> partial = UnitPartitioner.sortedByUnit(docs.union(probes), partitioner)
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
}
