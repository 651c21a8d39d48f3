package io.gtespark.job.similarity;

import io.gtespark.job.Stage;
import io.gtespark.job.cells.CellSearch;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.index.IndexSearch;
import io.gtespark.job.index.LakeIndex;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.MemoryProbe;
import io.gtespark.job.metrics.ProgressListener;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.job.search.ExactTopK;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.api.SentenceComparison;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.EmbeddingSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code similarity}: (a) top-K corpus rows per query, (b) nearest neighbours inside one set,
 * (c) a score per given id pair, (d) the model card's example as a one-liner. Inputs are
 * embedding outputs or raw text embedded on the fly.
 */
public final class SimilarityStage implements Stage {
  @Override
  public String name() {
    return "similarity";
  }

  @Override
  public String summary() {
    return "Top-K similar corpus rows per query (--queries/--corpus), nearest neighbours within a set (--self), "
        + "scores of id pairs (--pairs), or the model card's example (--source/--compare).";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.optional("--queries", "spark.gte.similarity.queries", null, "queries table (embedding output or raw text)"),
        OptionSpec.optional("--corpus", "spark.gte.similarity.corpus", null, "corpus table (embedding output or raw text)"),
        OptionSpec.optional("--index", "spark.gte.similarity.index", null,
            "an index built by the index stage: top-K of each of --queries among its rows, reading only the cells "
            + "the queries probe (--nprobe)"),
        OptionSpec.flag("--self", "spark.gte.similarity.self", "nearest neighbours of each row of --input within --input"),
        OptionSpec.optional("--input", "spark.gte.similarity.input", null, "the table for --self and --pairs"),
        OptionSpec.optional("--pairs", "spark.gte.similarity.pairs", null, "table of id pairs (columns id_a, id_b) to score"),
        OptionSpec.repeatable("--source", null, false, "a source sentence (model card example; prints scores)"),
        OptionSpec.repeatable("--compare", null, false, "a sentence to compare with the first --source"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto", "input format of every table"),
        OptionSpec.optional("--id-col", "spark.gte.idCol", "id", "id column of the inputs"),
        OptionSpec.optional("--query-id-col", "spark.gte.similarity.queryIdCol", null,
            "id column of --queries (default --id-col)"),
        OptionSpec.optional("--corpus-id-col", "spark.gte.similarity.corpusIdCol", null,
            "id column of --corpus (default --id-col)"),
        OptionSpec.optional("--vector-col", "spark.gte.vectorCol", "embedding", "vector column of embedding outputs"),
        OptionSpec.optional("--text-col", "spark.gte.similarity.textCol", null, "text column, to embed raw inputs on the fly"),
        OptionSpec.optional("--top-k", "spark.gte.similarity.topK", "10", "neighbours per query"),
        OptionSpec.repeatable("--with", "spark.gte.similarity.with", false,
            "with --index: columns the index carries (index --with) added to each result row, by doc_id"),
        OptionSpec.flag("--with-text", "spark.gte.similarity.withText",
            "add query_text and doc_text columns to top-K results (needs --text-col)"),
        OptionSpec.optional("--min-score", "spark.gte.similarity.minScore", null,
            "drop pairs scoring below this (near-duplicate detection: e.g. 0.95); default none"),
        OptionSpec.flag("--approx", "spark.gte.similarity.approx", "approximate search with an inverted file: "
            + "k-means cells over the corpus, each query scored against its --nprobe nearest cells; recall measured"),
        OptionSpec.optional("--output", "spark.gte.output", null, "output path"),
        OptionSpec.optional("--output-format", "spark.gte.output.format", "parquet", "parquet, delta or json"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error", "error or overwrite")));
    specs.addAll(IvfOptions.specs("spark.gte.similarity", "--approx"));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    EmbeddingSettings settings = EngineOptions.settings(spark, options);
    String output = options.get("--output");
    boolean example = !options.getAll("--source").isEmpty();
    if (output == null && !example) {
      throw new UsageException("similarity needs --output (or --source/--compare to just print scores).");
    }
    OutputMode mode = OutputMode.parse(options.get("--mode"));
    if (mode != OutputMode.ERROR && mode != OutputMode.OVERWRITE) {
      throw new UsageException("similarity writes with --mode error or overwrite, not " + options.get("--mode") + ".");
    }
    TableWriter writer = output == null ? null
        : new TableWriter(spark, output, OutputFormat.parse(options.get("--output-format")), mode);
    if (example) {
      modelCardExample(spark, settings, options, writer);
      return;
    }
    Supplier<EncoderSpec> spec = VectorTable.lazySpec(settings, spark);
    String format = options.get("--format");
    String idCol = options.get("--id-col");
    String vectorCol = options.get("--vector-col");
    String textCol = options.get("--text-col");
    int k = options.getInt("--top-k");
    if (k < 1) {
      throw new UsageException("--top-k must be at least 1.");
    }
    int blockRows = IvfOptions.blockRows(options);
    boolean approx = options.isOn("--approx");
    double minScore = options.get("--min-score") != null ? options.getDouble("--min-score")
        : Double.NEGATIVE_INFINITY;
    if (options.isOn("--with-text") && options.get("--pairs") != null) {
      throw new UsageException("--with-text labels top-K results (--queries/--corpus or --self), not --pairs.");
    }
    long start = System.nanoTime();
    JobCosts costs = JobCosts.start(spark.sparkContext());
    RunMetrics metrics = RunMetrics.forStage("similarity").put("k", k)
        .put("minScore", options.get("--min-score") == null ? null : minScore);
    SearchCache cache = new SearchCache();
    // Tasks done, elapsed and an ETA every 10 s while the search's jobs run.
    ProgressListener progress = new ProgressListener("similarity", System.out, 10_000);
    spark.sparkContext().addSparkListener(progress);
    List<VectorTable> tables = new ArrayList<>();
    try {
      Dataset<Row> result;
      ModelIdentity identity;
      CellSearch.Result ivfResult = null;
      // Counted inside transformations: a recomputed task adds again, so this is an upper bound.
      LongAccumulator pairsScored = spark.sparkContext().longAccumulator("gte-pairs-scored");
      if (options.get("--pairs") != null) {
        VectorTable vectors = load(spark, tables, required(options, "--input", "--pairs"), format, idCol, vectorCol,
            textCol, spec);
        writer.checkBeforeRun(vectors.identity());
        Dataset<Row> pairs = TableReader.read(spark, options.get("--pairs"), InputFormat.parse(format));
        result = PairScores.score(pairs, vectors.rows());
        identity = vectors.identity();
        metrics.put("search", "pairs");
        writer.write(result, identity);
      } else if (!options.getAll("--with").isEmpty() && options.get("--index") == null) {
        throw new UsageException("--with adds columns an index carries to its search results; it needs --index "
            + "(for other searches, --with-text labels rows with their texts).");
      } else if (options.get("--index") != null) {
        ivfResult = searchIndex(spark, options, tables, format, idCol, vectorCol, textCol, spec, k, minScore, writer,
            cache, pairsScored, metrics);
      } else {
        boolean self = options.isOn("--self");
        VectorTable queries;
        VectorTable corpus;
        if (self) {
          queries = load(spark, tables, required(options, "--input", "--self"), format, idCol, vectorCol, textCol, spec);
          corpus = queries;
        } else {
          String queryIdCol = options.get("--query-id-col") != null ? options.get("--query-id-col") : idCol;
          String corpusIdCol = options.get("--corpus-id-col") != null ? options.get("--corpus-id-col") : idCol;
          queries = load(spark, tables, required(options, "--queries", "query/corpus search"), format, queryIdCol,
              vectorCol, textCol, spec);
          corpus = load(spark, tables, required(options, "--corpus", "query/corpus search"), format, corpusIdCol,
              vectorCol, textCol, spec);
          VectorTable.requireComparable(queries, corpus);
        }
        identity = VectorTable.anyIdentity(queries, corpus);
        writer.checkBeforeRun(identity);
        UnaryOperator<Dataset<Row>> labels = textLabels(options, queries, corpus);
        // Both searches cache the vectors themselves, as blocks of unit vectors read once (an embedded
        // table is read as stored; raw text is embedded once by VectorTable).
        Dataset<Row> q = queries.withVectors();
        Dataset<Row> d = self ? q : corpus.withVectors();
        if (approx) {
          // The recall sample's lists are kept as the result is written: nothing caches the result.
          CellSearch.Result ivf = CellSearch.topK(spark, q, d, self, k, self, minScore, IvfOptions.settings(options),
              options.getInt("--recall-sample"), cache, pairsScored);
          result = ivf.topK;
          ivfResult = ivf;
          metrics.put("search", "ivf").put("queries", ivf.queries).put("corpusRows", ivf.corpusRows);
        } else {
          long nq = q.count();
          long nd = self ? nq : d.count();
          result = ExactTopK.topK(spark, q, nq, d, nd, k, self, minScore, blockRows, self, cache, pairsScored);
          metrics.put("search", "exact").put("queries", nq).put("corpusRows", nd);
        }
        writer.write(labels.apply(result), identity);
        metrics.putPairsScored(pairsScored.value());
        if (ivfResult != null) {
          ivfResult.stats().forEach(metrics::put);
          ivfResult.recall().forEach(metrics::put);
        }
      }
    } finally {
      spark.sparkContext().removeSparkListener(progress);
      cache.release();
      tables.forEach(VectorTable::release);
    }
    long rows = writer.committedRows();
    metrics.put("rowsOut", rows).put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0)
        .put("driverPeakRssMiB", MemoryProbe.peakRssMiB());
    costs.stopInto(metrics);
    metrics.writeTo(output, spark.sparkContext().hadoopConfiguration());
    System.out.printf("similarity done: %d rows written to %s%s%n", rows, output,
        approx || options.get("--index") != null ? recallLine(metrics) : "");
  }

  /**
   * {@code --index INDEX --queries Q}: the queries routed to the index's cells and scored against
   * the rows of the cell groups they probe; the result written, its figures in {@code metrics}.
   */
  private static CellSearch.Result searchIndex(SparkSession spark, StageOptions options, List<VectorTable> tables,
      String format, String idCol, String vectorCol, String textCol, Supplier<EncoderSpec> spec, int k,
      double minScore, TableWriter writer, SearchCache cache, LongAccumulator pairsScored, RunMetrics metrics) {
    if (options.get("--corpus") != null || options.isOn("--self") || options.isOn("--with-text")) {
      throw new UsageException("--index searches the index's rows: give --queries alone (no --corpus or --self), "
          + "and no --with-text (name the columns the index carries with --with).");
    }
    String queryIdCol = options.get("--query-id-col") != null ? options.get("--query-id-col") : idCol;
    VectorTable queries = load(spark, tables, required(options, "--queries", "--index"), format, queryIdCol,
        vectorCol, textCol, spec);
    LakeIndex index = LakeIndex.open(spark, options.get("--index"));
    index.requireCarried(options.getAll("--with"));
    writer.checkBeforeRun(IndexSearch.sharedModel(index, queries));
    IndexSearch.Found found = IndexSearch.search(spark, index, queries, options.getAll("--with"), k, minScore,
        IvfOptions.settings(options), options.getInt("--recall-sample"), cache, pairsScored);
    CellSearch.Result ivf = found.search;
    metrics.put("search", "index").put("index", options.get("--index")).put("indexBuild", index.manifest().build())
        .put("queries", ivf.queries).put("corpusRows", index.manifest().getLong("rows"));
    writer.write(found.rows, found.identity);
    metrics.putPairsScored(pairsScored.value());
    ivf.stats().forEach(metrics::put);
    ivf.recall().forEach(metrics::put);
    return ivf;
  }

  private static String recallLine(RunMetrics metrics) {
    Object recall = metrics.values().get("recallAtK");
    return String.format(" (IVF: %s cells, nprobe %s, %s pairs scored, recall@%s %s on %s sampled queries)",
        metrics.values().get("nlist"), metrics.values().get("nprobe"), metrics.values().get("pairsScored"),
        metrics.values().get("k"), recall == null ? "not measured" : recall, metrics.values().get("recallQueries"));
  }

  private static VectorTable load(SparkSession spark, List<VectorTable> tables, String input, String format,
      String idCol, String vectorCol, String textCol, Supplier<EncoderSpec> spec) {
    VectorTable t = VectorTable.load(spark, input, format, idCol, vectorCol, textCol, spec);
    tables.add(t);
    return t;
  }

  /**
   * What --with-text does to the top-K rows: join on both sides' texts (query_text, doc_text),
   * or nothing without the flag. Built before any work, so a table without its text column is
   * refused at once.
   */
  private static UnaryOperator<Dataset<Row>> textLabels(StageOptions options, VectorTable queries,
      VectorTable docs) {
    if (!options.isOn("--with-text")) {
      return UnaryOperator.identity();
    }
    Dataset<Row> q = queries.texts("_query_id", "query_text");
    Dataset<Row> d = docs.texts("_doc_id", "doc_text");
    return result -> result
        .join(q, result.col("query_id").equalTo(q.col("_query_id")), "left").drop("_query_id")
        .join(d, functions.col("doc_id").equalTo(d.col("_doc_id")), "left").drop("_doc_id");
  }

  private static String required(StageOptions options, String flag, String forWhat) {
    String v = options.get(flag);
    if (v == null) {
      throw new UsageException(forWhat + " needs " + flag + ".");
    }
    return v;
  }

  /**
   * The model card's example: prints the first source's score against each candidate and,
   * with {@code --output}, also writes them as rows (source, candidate, score, rank).
   */
  private static void modelCardExample(SparkSession spark, EmbeddingSettings settings, StageOptions options,
      TableWriter writer) {
    EncoderSpec spec = settings.toLocalSpec(Runtime.getRuntime().availableProcessors());
    if (writer != null) {
      writer.checkBeforeRun(spec.identity());
    }
    List<String> sources = options.getAll("--source");
    List<String> compare = options.getAll("--compare");
    SentenceComparison result = SentenceComparison.run(spec, sources, compare);
    List<String> against = compare.isEmpty() ? sources.subList(1, sources.size()) : compare;
    double[] scores = result.scores();
    System.out.println("source: " + sources.get(0));
    for (int i = 0; i < scores.length; i++) {
      System.out.printf("  %.4f  %s%n", scores[i], against.get(i));
    }
    if (writer == null) {
      return;
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    int[] rank = new int[scores.length];
    for (int r = 0; r < order.length; r++) {
      rank[order[r]] = r + 1;
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      rows.add(RowFactory.create(sources.get(0), against.get(i), scores[i], rank[i]));
    }
    StructType schema = new StructType()
        .add("source", DataTypes.StringType, false)
        .add("candidate", DataTypes.StringType, false)
        .add("score", DataTypes.DoubleType, false)
        .add("rank", DataTypes.IntegerType, false);
    writer.write(spark.createDataFrame(rows, schema).coalesce(1), spec.identity());
    System.out.printf("similarity done: %d rows written to %s%n", rows.size(), writer.output());
  }

}
