package io.gtespark.job.dedup;

import io.gtespark.job.Stage;
import io.gtespark.job.cells.CellSearch;
import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.index.LakeIndex;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.MemoryProbe;
import io.gtespark.job.metrics.ProgressListener;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.job.search.ExactTopK;
import io.gtespark.job.similarity.IvfOptions;
import io.gtespark.job.search.RecallProbe;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code dedup}: semantic deduplication. Exact vector copies are grouped by a hash of the vector;
 * the remaining rows are searched in k-means cells (IVF) for pairs at or above the threshold; the
 * pairs' connected groups are decided greedily in keep order. Writes {@code DIR/kept} (the
 * surviving input rows, columns unchanged) and {@code DIR/duplicates} (id, duplicate_of, score,
 * cluster): every input row is in exactly one of them.
 */
public final class DedupStage implements Stage {
  /** Default --threshold: see the measured table in docs/benchmarks.md. */
  public static final String DEFAULT_THRESHOLD = "0.9";

  @Override
  public String name() {
    return "dedup";
  }

  @Override
  public String summary() {
    return "Semantic deduplication: DIR/kept (surviving input rows) and DIR/duplicates (id, duplicate_of, score, "
        + "cluster) for rows whose cosine with a kept row is at least --threshold.";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.required("--input", "spark.gte.dedup.input", "embedding output (or raw text with --text-col)"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto", "input format"),
        OptionSpec.optional("--id-col", "spark.gte.idCol", "id", "id column (unique, not null)"),
        OptionSpec.optional("--vector-col", "spark.gte.vectorCol", "embedding", "vector column of embedding outputs"),
        OptionSpec.optional("--text-col", "spark.gte.dedup.textCol", null,
            "text column: embedded on the fly for raw inputs; needed by --keep longest"),
        OptionSpec.optional("--threshold", "spark.gte.dedup.threshold", DEFAULT_THRESHOLD,
            "cosine at or above which a row duplicates a kept row (1: exact vector copies only)"),
        OptionSpec.optional("--keep", "spark.gte.dedup.keep", "first",
            "which row of a group survives: first (smallest id), longest (text) or centre (nearest the group's mean)"),
        OptionSpec.optional("--max-neighbours", "spark.gte.dedup.maxNeighbours", "32",
            "candidate duplicates kept per row from the search (rows that fill it are counted as saturatedRows)"),
        OptionSpec.optional("--local-group-rows", "spark.gte.dedup.localGroupRows", "20000",
            "groups of near-duplicates up to this size are decided in one task; larger ones in rounds over their pairs"),
        OptionSpec.optional("--against", "spark.gte.dedup.against", null,
            "an index (index stage) of rows kept before: an input row within --threshold of an indexed row is its "
            + "duplicate (duplicate_of = the indexed id); the other rows are deduplicated among themselves"),
        OptionSpec.flag("--exact", "spark.gte.dedup.exact",
            "compare every pair instead of searching cells (quadratic: for tables that fit it)"),
        OptionSpec.required("--output", "spark.gte.output", "output folder (kept/, duplicates/, summary.json)"),
        OptionSpec.optional("--output-format", "spark.gte.output.format", "parquet", "parquet, delta or json"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error", "error or overwrite")));
    specs.addAll(IvfOptions.specs("spark.gte.dedup", "the search"));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    long start = System.nanoTime();
    JobCosts costs = JobCosts.start(spark.sparkContext());
    String output = options.get("--output");
    OutputMode mode = OutputMode.parse(options.get("--mode"));
    if (mode != OutputMode.ERROR && mode != OutputMode.OVERWRITE) {
      throw new UsageException("dedup writes with --mode error or overwrite, not " + options.get("--mode") + ".");
    }
    double threshold = options.getDouble("--threshold");
    if (!(threshold > 0 && threshold <= 1)) {
      throw new UsageException("--threshold is a cosine in (0, 1], not " + options.get("--threshold") + ".");
    }
    KeepRule rule = KeepRule.parse(options.get("--keep"));
    String idCol = options.get("--id-col");
    String textCol = options.get("--text-col");
    if (rule == KeepRule.LONGEST && textCol == null) {
      throw new UsageException("--keep longest compares texts: name the text column with --text-col.");
    }
    int maxNeighbours = options.getInt("--max-neighbours");
    if (maxNeighbours < 1) {
      throw new UsageException("--max-neighbours must be at least 1.");
    }
    long localGroupRows = options.getLong("--local-group-rows");
    if (localGroupRows < 1) {
      throw new UsageException("--local-group-rows must be at least 1.");
    }
    boolean exact = options.isOn("--exact");
    CellSettings ivf = IvfOptions.settings(options);
    int blockRows = IvfOptions.blockRows(options);
    OutputFormat format = OutputFormat.parse(options.get("--output-format"));
    TableWriter whole = new TableWriter(spark, output, format, mode);
    if (mode == OutputMode.ERROR && whole.exists()) {
      throw new UsageException("Output " + output + " already exists. Use --mode overwrite or choose another --output.");
    }
    VectorTable table = VectorTable.load(spark, options.get("--input"), options.get("--format"), idCol,
        options.get("--vector-col"), textCol, VectorTable.lazySpec(EngineOptions.settings(spark, options), spark));
    Dataset<Row> original = TableReader.read(spark, options.get("--input"), InputFormat.parse(options.get("--format")));
    TableWriter keptWriter = new TableWriter(spark, output + "/kept", format, OutputMode.OVERWRITE);
    TableWriter duplicatesWriter = new TableWriter(spark, output + "/duplicates", format, OutputMode.OVERWRITE);
    RunMetrics metrics = RunMetrics.forStage("dedup").put("threshold", threshold)
        .put("keep", rule.name().toLowerCase()).put("maxNeighbours", maxNeighbours)
        .put("search", threshold >= 1 ? "exact copies only" : exact ? "exact" : "ivf");
    SearchCache cache = new SearchCache();
    // Tasks done, elapsed and an ETA every 10 s while the search's jobs run.
    ProgressListener progress = new ProgressListener("dedup", System.out, 10_000);
    spark.sparkContext().addSparkListener(progress);
    try {
      Row counts = table.rows().agg(functions.count(functions.lit(1)),
          functions.countDistinct(functions.col(VectorTable.ID)),
          functions.count(functions.when(functions.col(VectorTable.ID).isNull(), 1)),
          functions.count(functions.when(functions.col(VectorTable.VECTOR).isNull(), 1))).first();
      long rows = counts.getLong(0);
      if (counts.getLong(2) > 0 || counts.getLong(1) != rows) {
        throw new UsageException("dedup needs a unique, non-null --id-col, but '" + idCol + "' has "
            + counts.getLong(2) + " null(s) and " + (rows - counts.getLong(2) - counts.getLong(1))
            + " repeated value(s). Deduplicate the ids first, or name another --id-col.");
      }
      metrics.put("rows", rows).put("nulls", counts.getLong(3));
      System.out.printf("dedup: %d rows, %d with null vectors (kept); grouping exact copies%n", rows,
          counts.getLong(3));

      // Rows that repeat a row kept before (in --against's index) are decided first, by one search of
      // the index; only the others are grouped and searched among themselves.
      Dataset<Row> candidates = table.withVectors();
      Dataset<Row> ofIndex = null;
      if (options.get("--against") != null) {
        LakeIndex index = LakeIndex.open(spark, options.get("--against"));
        // At --threshold 1 a copy's cosine can round just below 1: a copy is still a copy.
        double minScore = Math.min(threshold, 1.0 - 1e-6);
        LongAccumulator indexPairs = spark.sparkContext().longAccumulator("gte-dedup-index-pairs-scored");
        ofIndex = cache.add(IndexMatches.find(spark, index, table, minScore, ivf,
            exact ? rows - counts.getLong(3) : 0, blockRows, cache, indexPairs)
            .persist(StorageLevel.MEMORY_AND_DISK()));
        long matched = ofIndex.count();
        metrics.put("against", options.get("--against")).put("againstBuild", index.manifest().build())
            .put("againstRows", index.rows()).put("duplicatesOfIndex", matched)
            .put("againstPairsScored", indexPairs.value());
        System.out.printf("dedup: %d rows repeat a row of index %s (build %d, %d rows); deduplicating the rest%n",
            matched, options.get("--against"), index.manifest().build(), index.rows());
        candidates = candidates.join(ofIndex.select(functions.col(VectorTable.ID).as("_matched_id")),
            candidates.col(VectorTable.ID).equalTo(functions.col("_matched_id")), "left_anti");
      }

      // Exact copies first: they would fill every neighbour list, and a hash groups them without a search.
      Column order = rule == KeepRule.LONGEST
          ? functions.coalesce(functions.length(functions.col(VectorTable.TEXT)), functions.lit(0))
              .cast("double").multiply(-1)
          : functions.lit(0.0);
      Dataset<Row> vectors = candidates.select(functions.col(VectorTable.ID), functions.col(VectorTable.VECTOR),
          order.as(NearDuplicateGroups.ORDER),
          functions.xxhash64(functions.col(VectorTable.VECTOR)).as("_h1"),
          functions.hash(functions.col(VectorTable.VECTOR)).as("_h2"));
      Dataset<Row> firstCopy = vectors.groupBy("_h1", "_h2").agg(functions.min(functions.struct(
          functions.col(NearDuplicateGroups.ORDER), functions.col(VectorTable.ID), functions.col(VectorTable.VECTOR)))
          .as("_rep"));
      Dataset<Row> keyed = vectors.join(firstCopy, new String[] {"_h1", "_h2"});
      // Wrapped in coalesce so that the optimizer does not make the vectors a join key: a sort on a
      // normalised float array costs minutes where comparing the matched pairs costs nothing.
      Column isCopy = functions.col(VectorTable.ID).notEqual(functions.col("_rep." + VectorTable.ID))
          .and(functions.coalesce(functions.col(VectorTable.VECTOR).equalTo(functions.col("_rep." + VectorTable.VECTOR)),
              functions.lit(false)));
      // Persisted once, marked: the copies and the distinct vectors are both read from it, so the
      // input is scanned for the grouping once (twice: the hash groups and the rows they join),
      // not once more for each of them.
      Dataset<Row> marked = cache.add(keyed.select(functions.col(VectorTable.ID), functions.col(VectorTable.VECTOR),
          functions.col(NearDuplicateGroups.ORDER), isCopy.as("_is_copy"),
          functions.col("_rep." + VectorTable.ID).as("_copy_of")).persist(StorageLevel.MEMORY_AND_DISK()));
      Dataset<Row> copies = marked.filter(functions.col("_is_copy"))
          .select(functions.col(VectorTable.ID), functions.col("_copy_of"));
      Dataset<Row> distinct = marked.filter(functions.not(functions.col("_is_copy"))).select(
          functions.col(VectorTable.ID), functions.col(VectorTable.VECTOR), functions.col(NearDuplicateGroups.ORDER));
      long copyCount = copies.count();
      long distinctCount = distinct.count();
      metrics.put("exactCopies", copyCount).put("distinctVectors", distinctCount);

      Dataset<Row> decisions;
      if (threshold >= 1) {
        decisions = spark.emptyDataFrame().select(functions.lit(null).cast(idType(distinct)).as(VectorTable.ID),
            functions.lit(null).cast(idType(distinct)).as(NearDuplicateGroups.DUPLICATE_OF),
            functions.lit(null).cast("double").as(NearDuplicateGroups.SCORE),
            functions.lit(null).cast(idType(distinct)).as(NearDuplicateGroups.GROUP));
      } else {
        System.out.printf("dedup: %d exact copies grouped; searching %d distinct vectors for pairs >= %s%n",
            copyCount, distinctCount, threshold);
        LongAccumulator pairsScored = spark.sparkContext().longAccumulator("gte-dedup-pairs-scored");
        Dataset<Row> pairs;
        CellSearch.Result ivfResult = null;
        if (exact) {
          pairs = ExactTopK.topK(spark, distinct, distinctCount, distinct, distinctCount, maxNeighbours, true, threshold, blockRows, true, cache,
              pairsScored);
        } else {
          ivfResult = CellSearch.topK(spark, distinct, distinct, true, maxNeighbours, true, threshold, ivf, 0, cache,
              pairsScored);
          pairs = ivfResult.topK;
        }
        pairs = cache.add(pairs.persist(StorageLevel.MEMORY_AND_DISK()));
        long pairRows = pairs.count();
        metrics.putPairsScored(pairsScored.value()).put("pairsAboveThreshold", pairRows)
            .put("saturatedRows", pairs.groupBy("query_id").count()
                .filter(functions.col("count").geq(maxNeighbours)).count());
        if (ivfResult != null) {
          ivfResult.stats().forEach(metrics::put);
        }
        NearDuplicateGroups groups = NearDuplicateGroups.decide(spark, distinct, pairs, pairRows, rule,
            localGroupRows);
        decisions = cache.add(groups.decisions());
        metrics.put("labelRounds", groups.rounds()).put("keepRounds", groups.keepRounds())
            .put("largestLocalGroup", groups.largestLocalGroup());
        if (!exact) {
          RecallProbe.measure(distinct, distinct, pairs, maxNeighbours, true, threshold,
              options.getInt("--recall-sample"), options.getLong("--seed"), blockRows).forEach(metrics::put);
        }
      }

      // A copy points where its first copy points: at the first copy when that was kept, else at its kept row.
      Dataset<Row> d = decisions.as("d");
      Dataset<Row> resolvedCopies = copies.join(d, copies.col("_copy_of").equalTo(d.col(VectorTable.ID)), "left")
          .select(copies.col(VectorTable.ID),
              functions.coalesce(d.col(NearDuplicateGroups.DUPLICATE_OF), copies.col("_copy_of"))
                  .as(NearDuplicateGroups.DUPLICATE_OF),
              functions.coalesce(d.col(NearDuplicateGroups.SCORE), functions.lit(1.0)).as(NearDuplicateGroups.SCORE),
              functions.coalesce(d.col(NearDuplicateGroups.GROUP), copies.col("_copy_of")).as(NearDuplicateGroups.GROUP));
      Dataset<Row> duplicates = decisions.filter(functions.col(NearDuplicateGroups.DUPLICATE_OF).isNotNull())
          .unionByName(resolvedCopies);
      if (ofIndex != null) {
        duplicates = duplicates.unionByName(ofIndex);
      }
      duplicatesWriter.write(duplicates, table.identity());
      Dataset<Row> removed = spark.read().format(format.source()).load(duplicatesWriter.output())
          .select(functions.col(VectorTable.ID).as("_removed_id"));
      keptWriter.write(original.join(removed, original.col(idCol).equalTo(removed.col("_removed_id")), "left_anti"),
          table.identity());

      long kept = keptWriter.committedRows();
      long removedRows = duplicatesWriter.committedRows();
      if (kept + removedRows != rows) {
        throw new IllegalStateException("dedup wrote " + kept + " kept and " + removedRows + " duplicate rows for "
            + rows + " input rows; the output is inconsistent and should not be used.");
      }
      Row sizes = decisions.groupBy(NearDuplicateGroups.GROUP).count()
          .agg(functions.count(functions.lit(1)), functions.max("count")).first();
      metrics.put("kept", kept).put("removed", removedRows).put("groups", sizes.getLong(0))
          .put("largestGroup", sizes.isNullAt(1) ? 0 : sizes.getLong(1))
          .put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0)
          .put("driverPeakRssMiB", MemoryProbe.peakRssMiB());
    } finally {
      spark.sparkContext().removeSparkListener(progress);
      cache.release();
      table.release();
    }
    costs.stopInto(metrics);
    metrics.writeTo(output, spark.sparkContext().hadoopConfiguration());
    OutputIdentity.writeJson(new Path(output, "summary.json"), metrics.values(),
        spark.sparkContext().hadoopConfiguration());
    System.out.printf("dedup done: %s rows, %s kept, %s removed (%s exact copies) at threshold %s; recall %s%n",
        metrics.values().get("rows"), metrics.values().get("kept"), metrics.values().get("removed"),
        metrics.values().get("exactCopies"), threshold,
        metrics.values().get("recallAtK") != null ? metrics.values().get("recallAtK")
            : metrics.values().get("recallQueries") != null && ((Number) metrics.values().get("recallQueries")).longValue() > 0
            ? "n/a (no pair at or above the threshold among " + metrics.values().get("recallQueries") + " sampled rows)"
            : "not measured");
  }

  private static String idType(Dataset<Row> rows) {
    return rows.schema().apply(VectorTable.ID).dataType().sql();
  }
}
