package io.gtespark.job.search;

import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.udf.vectors.BlockScorer;
import io.gtespark.udf.vectors.TopKHeap;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Measures an approximate search instead of promising it: a seeded sample of the queries gets
 * its exact top-K by brute force, and recall@K is the share of those exact neighbours that the
 * approximate result also returned. Only the sample (ids, then the chosen ids' vectors) and two
 * top-K lists per sampled query reach the driver, merged on the executors first. A search can take the measurement as it writes ({@link #prepare},
 * {@link #tap}, {@link #recall}), or after, from its output ({@link #measure}).
 */
public final class RecallProbe {
  /**
   * Recall of {@code approx} against exact search on a seeded sample of {@code queries}:
   * recallQueries, recallAtK, recallNeighbours. One pass picks the sample, one scores it against
   * every corpus row, one reads the approximate lists of the sampled queries.
   */
  public static Map<String, Object> measure(Dataset<Row> queries, Dataset<Row> corpus, Dataset<Row> approx, int k,
      boolean excludeSelf, double minScore, int sampleSize, long seed, int blockRows) {
    RecallProbe probe = prepare(UnitVectorBlocks.read(queries, blockRows, null),
        UnitVectorBlocks.read(corpus, blockRows, null), k, excludeSelf, minScore, sampleSize, seed);
    if (probe == null) {
      return notMeasured();
    }
    Map<Object, Set<Object>> found = new HashMap<>();
    for (Row r : approx.filter(functions.col("query_id").isin(probe.ids.toArray())).select("query_id", "doc_id")
        .collectAsList()) {
      found.computeIfAbsent(r.get(0), x -> new HashSet<>()).add(r.get(1));
    }
    return probe.recall(found);
  }

  /** What a run without a measurement reports. */
  public static Map<String, Object> notMeasured() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("recallQueries", 0);
    out.put("recallAtK", null);
    return out;
  }

  private final List<Object> ids;
  private final TopKHeap[] exactLists;

  private RecallProbe(List<Object> ids, TopKHeap[] exactLists) {
    this.ids = ids;
    this.exactLists = exactLists;
  }

  /**
   * The sample and its exact top-K lists, ready before the approximate search runs (so that the
   * search can hand back the sampled queries' lists as it writes them, see {@link Tap}); null
   * when there is nothing to sample. One pass picks the sample, one scores it against every
   * corpus block.
   */
  public static RecallProbe prepare(JavaRDD<VectorBlock> queries, JavaRDD<VectorBlock> corpus, int k,
      boolean excludeSelf, double minScore, int sampleSize, long seed) {
    if (sampleSize <= 0) {
      return null;
    }
    // The sample: the queries whose seeded hash of the id is smallest. Ids first, merged on the
    // executors (a bounded list per partition, tree-reduced), then the vectors of the chosen ids
    // alone: what reaches the driver does not grow with the partition count.
    int depth = treeDepth(Math.max(queries.getNumPartitions(), corpus.getNumPartitions()));
    List<Sampled> picked = queries.mapPartitions((Iterator<VectorBlock> it) -> {
      java.util.PriorityQueue<Sampled> worst = new java.util.PriorityQueue<>(Sampled.ORDER.reversed());
      while (it.hasNext()) {
        VectorBlock b = it.next();
        for (int i = 0; i < b.rows(); i++) {
          Sampled s = new Sampled(hash(b.id(i), seed), b.id(i), null);
          if (worst.size() < sampleSize || Sampled.ORDER.compare(s, worst.peek()) < 0) {
            worst.add(s);
            if (worst.size() > sampleSize) {
              worst.poll();
            }
          }
        }
      }
      List<Sampled> smallest = new ArrayList<>(worst);
      smallest.sort(Sampled.ORDER);
      return java.util.Collections.singletonList(smallest).iterator();
    }).treeReduce((a, b) -> smallest(a, b, sampleSize), depth);
    if (picked.isEmpty()) {
      return null;
    }
    Set<Object> chosen = new HashSet<>();
    picked.forEach(p -> chosen.add(p.id));
    Map<Object, float[]> vectorOf = new HashMap<>();
    for (Sampled s : queries.flatMap((VectorBlock b) -> {
      List<Sampled> out = new ArrayList<>();
      for (int i = 0; i < b.rows(); i++) {
        if (chosen.contains(b.id(i))) {
          out.add(new Sampled(0, b.id(i), Arrays.copyOfRange(b.values(), i * b.dim(), (i + 1) * b.dim())));
        }
      }
      return out.iterator();
    }).collect()) {
      vectorOf.putIfAbsent(s.id, s.vector);
    }
    List<Object> ids = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (Sampled s : picked) {
      ids.add(s.id);
      vectors.add(vectorOf.get(s.id));
    }
    VectorBlock sample = VectorBlock.of(ids, vectors);
    TopKHeap[] exactLists = corpus.mapPartitions((Iterator<VectorBlock> it) -> {
      BlockScorer scorer = new BlockScorer(excludeSelf, minScore);
      TopKHeap[] heaps = new TopKHeap[sample.rows()];
      for (int i = 0; i < heaps.length; i++) {
        heaps[i] = new TopKHeap(k);
      }
      while (it.hasNext()) {
        scorer.score(sample, it.next(), heaps);
      }
      return java.util.Collections.<TopKHeap[]>singletonList(heaps).iterator();
    }).treeReduce((a, b) -> {
      for (int i = 0; i < a.length; i++) {
        a[i].merge(b[i]);
      }
      return a;
    }, depth);
    return new RecallProbe(ids, exactLists);
  }

  /** A tap for the search's output: it records the approximate lists of the sampled queries as they go by. */
  public Tap tap(org.apache.spark.SparkContext sc) {
    CollectionAccumulator<Object[]> seen = new CollectionAccumulator<>();
    sc.register(seen, "gte-recall-sample");
    return new Tap(new HashSet<>(ids), seen);
  }

  /** recallQueries, recallAtK and recallNeighbours, from the approximate neighbours found per sampled query. */
  public Map<String, Object> recall(Map<Object, Set<Object>> found) {
    long wanted = 0;
    long hits = 0;
    for (int i = 0; i < ids.size(); i++) {
      Set<Object> got = found.getOrDefault(ids.get(i), Set.of());
      for (TopKHeap.Entry e : exactLists[i].best()) {
        wanted++;
        if (got.contains(e.id)) {
          hits++;
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("recallQueries", ids.size());
    out.put("recallAtK", wanted == 0 ? null : Math.round(10000.0 * hits / wanted) / 10000.0);
    out.put("recallNeighbours", wanted);
    return out;
  }

  /**
   * Sees the output's top-K lists in the tasks that produce them and keeps those of the sampled
   * queries, so that the measurement neither caches nor reads back the whole output. A task run
   * twice reports a list twice, which changes nothing: the lists become sets.
   */
  public static final class Tap implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final Set<Object> ids;
    private final CollectionAccumulator<Object[]> seen;

    private Tap(Set<Object> ids, CollectionAccumulator<Object[]> seen) {
      this.ids = ids;
      this.seen = seen;
    }

    /** Called for every query's final list: kept when the query is in the sample. */
    public void offer(Object queryId, List<TopKHeap.Entry> best) {
      if (ids.contains(queryId)) {
        Object[] list = new Object[best.size() + 1];
        list[0] = queryId;
        for (int i = 0; i < best.size(); i++) {
          list[i + 1] = best.get(i).id;
        }
        seen.add(list);
      }
    }

    /** The neighbours seen per sampled query (on the driver, once the output is written). */
    public Map<Object, Set<Object>> found() {
      Map<Object, Set<Object>> found = new HashMap<>();
      for (Object[] list : seen.value()) {
        Set<Object> got = found.computeIfAbsent(list[0], x -> new HashSet<>());
        got.addAll(Arrays.asList(list).subList(1, list.length));
      }
      return found;
    }
  }

  /** The {@code limit} smallest of two sorted lists, sorted. */
  private static List<Sampled> smallest(List<Sampled> a, List<Sampled> b, int limit) {
    List<Sampled> out = new ArrayList<>(Math.min(limit, a.size() + b.size()));
    int i = 0;
    int j = 0;
    while (out.size() < limit && (i < a.size() || j < b.size())) {
      out.add(j >= b.size() || i < a.size() && Sampled.ORDER.compare(a.get(i), b.get(j)) <= 0 ? a.get(i++) : b.get(j++));
    }
    return out;
  }

  /** A tree depth at which at most about 32 partial results reach the driver from {@code partitions} tasks. */
  static int treeDepth(int partitions) {
    return Math.max(2, (int) Math.ceil(Math.log(Math.max(2, partitions)) / Math.log(32)));
  }

  /** A seeded, well-mixed hash of an id: the sample's order. */
  private static long hash(Object id, long seed) {
    long h = (id.hashCode() + seed) * 0x9E3779B97F4A7C15L;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    return h ^ (h >>> 29);
  }

  /** A sampled query: its hash, id and unit vector. */
  private static final class Sampled implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** By hash, ties by the id's text: the same sample whatever the partitioning. */
    static final java.util.Comparator<Sampled> ORDER = java.util.Comparator.<Sampled>comparingLong(s -> s.hash)
        .thenComparing(s -> String.valueOf(s.id));
    final long hash;
    final Object id;
    final float[] vector;

    Sampled(long hash, Object id, float[] vector) {
      this.hash = hash;
      this.id = id;
      this.vector = vector;
    }
  }
}
