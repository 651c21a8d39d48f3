package io.gtespark.job.bench;

import io.gtespark.job.Stage;
import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.metrics.MemoryProbe;
import io.gtespark.job.similarity.IvfOptions;
import io.gtespark.udf.encode.EncodeCounters;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.SessionTuning;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EmbeddingSettings;
import io.gtespark.udf.spark.EncodeCountersAccumulator;
import io.gtespark.udf.spark.GteConf;
import io.gtespark.udf.spark.GteSqlFunctions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code bench}: docs/s and tokens/s of (1) the bare encoder loop, the engine's own
 * {@link TextEncoder} on the driver with no Spark, and (2) the Spark embed job on the same
 * texts in memory, written to Spark's {@code noop} sink so that only embedding is timed; their
 * ratio; model load time apart; peak memory. {@code --variants all} adds padding to max
 * length, unsorted batches, the row-at-a-time SQL function and thread/task-slot combinations.
 */
public final class BenchStage implements Stage {
  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "Measures docs/s of the bare encoder loop (no Spark) and of the Spark embed job on the same corpus, "
        + "and their ratio (median of --runs after --warmup).";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.optional("--input", "spark.gte.bench.input", null, "corpus (e.g. from the corpus stage)"),
        OptionSpec.optional("--vectors", "spark.gte.bench.vectors", null,
            "an embedding output: time the cluster stage's k-means fit against a bare Lloyd loop instead"),
        OptionSpec.optional("--vector-col", "spark.gte.vectorCol", "embedding", "vector column of --vectors"),
        OptionSpec.optional("--index", "spark.gte.bench.index", null,
            "an index (folder or catalog name): its layout against Delta's clustering by cell and by cell group, "
            + "in files and bytes read for the cells that 1, 10 and 1,000 queries probe"),
        OptionSpec.optional("--nprobe", "spark.gte.bench.nprobe", "auto",
            "cells each query of the --index comparison probes: auto (what similarity --index probes: "
            + CellSettings.INDEX_AUTO_PROBES + ") or a number"),
        OptionSpec.optional("--k", "spark.gte.bench.k", "50", "clusters of the --vectors comparison"),
        OptionSpec.optional("--max-iter", "spark.gte.bench.maxIter", "20", "iterations of the --vectors comparison"),
        OptionSpec.optional("--seed", "spark.gte.bench.seed", "42", "seed of the --vectors comparison"),
        OptionSpec.optional("--format", "spark.gte.bench.format", "auto", "input format"),
        OptionSpec.optional("--text-col", "spark.gte.bench.textCol", "text", "text column"),
        OptionSpec.optional("--runs", "spark.gte.bench.runs", "3", "timed runs per measurement"),
        OptionSpec.optional("--warmup", "spark.gte.bench.warmup", "1", "untimed runs first"),
        OptionSpec.optional("--variants", "spark.gte.bench.variants", "core",
            "core (bare loop vs Spark), all (adds padding, sorting, SQL function, threads x tasks) or budgets "
                + "(bare loop per --budgets value), models (bare loop per --models value, same texts) or ort (ONNX "
                + "Runtime optimisation level, memory pattern and arena)"),
        OptionSpec.optional("--models", "spark.gte.bench.models", "bge-small-en-v1.5,bge-small-en-v1.5-q",
            "models compared by --variants models"),
        OptionSpec.optional("--budgets", "spark.gte.bench.budgets", "64,128,256,512,1024,2048,4096",
            "batch token budgets tried by --variants budgets"),
        OptionSpec.optional("--variant-docs", "spark.gte.bench.variantDocs", "1000",
            "documents used by the extra variants (the slow SQL path above all)"),
        OptionSpec.optional("--report", "spark.gte.bench.report", null, "also write the results as JSON here")));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  /** One measured configuration. */
  private static final class Result {
    final String name;
    final int docs;
    final double[] seconds;
    final long tokens;
    final long paddedTokens;
    final double tokenizeShare;
    final boolean onGpu;

    Result(String name, int docs, double[] seconds, long tokens, long paddedTokens, double tokenizeShare,
        boolean onGpu) {
      this.name = name;
      this.docs = docs;
      this.seconds = seconds;
      this.tokens = tokens;
      this.paddedTokens = paddedTokens;
      this.tokenizeShare = tokenizeShare;
      this.onGpu = onGpu;
    }

    double median() {
      double[] s = seconds.clone();
      Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    double docsPerSecond() {
      return docs / median();
    }
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    int runs = options.getInt("--runs");
    int warmup = options.getInt("--warmup");
    if (options.get("--vectors") != null) {
      LloydBench.run(spark, options.get("--vectors"), options.get("--vector-col"), options.getInt("--k"),
          options.getInt("--max-iter"), runs, warmup, options.getLong("--seed"));
      return;
    }
    if (options.get("--index") != null) {
      Map<String, Object> report = IndexLayoutBench.run(spark, options.get("--index"), IvfOptions.probes(options),
          runs, warmup, options.getLong("--seed"));
      if (options.get("--report") != null) {
        OutputIdentity.writeJson(new org.apache.hadoop.fs.Path(Paths.get(options.get("--report")).toAbsolutePath()
            .toUri()), report, new org.apache.hadoop.conf.Configuration());
      }
      return;
    }
    if (options.get("--input") == null) {
      throw new UsageException("bench needs --input CORPUS (or --vectors EMBEDDINGS for the k-means comparison, or "
          + "--index INDEX for the layout comparison).");
    }
    String textCol = options.get("--text-col");
    Dataset<Row> input = TableReader.read(spark, options.get("--input"), InputFormat.parse(options.get("--format")));
    EmbeddingColumns.of(input.schema(), List.of(textCol), List.of("embedding"));
    List<String> texts = new ArrayList<>();
    for (Row r : input.select(textCol).collectAsList()) {
      texts.add(r.getString(0));
    }
    int cores = spark.sparkContext().defaultParallelism();
    EmbeddingSettings settings = EngineOptions.settings(spark, options);
    boolean threadsGiven = options.get("--threads") != null;

    long loadStart = System.nanoTime();
    // The tuned bare loop: one caller thread per core, each with one ONNX Runtime thread, on one
    // shared session; it beat one caller with all cores as intra-op threads (see docs/benchmarks.md).
    EncoderSpec bareSpec = settings.toLocalSpec(1);
    int callers = threadsGiven ? Math.max(1, cores / bareSpec.threads()) : cores;
    TextEncoder.forTask(bareSpec).encodeOne("warm up the session");
    double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
    MemoryProbe.resetPeaks();

    List<Result> results = new ArrayList<>();
    if (options.get("--variants").equals("ort")) {
      SessionTuning base = bareSpec.tuning();
      SessionTuning[] tunings = {
        base,
        new SessionTuning(base.threads(), SessionTuning.OptLevel.EXTENDED, true, true),
        new SessionTuning(base.threads(), SessionTuning.OptLevel.BASIC, true, true),
        new SessionTuning(base.threads(), SessionTuning.OptLevel.NONE, true, true),
        new SessionTuning(base.threads(), SessionTuning.OptLevel.ALL, false, true),
        new SessionTuning(base.threads(), SessionTuning.OptLevel.ALL, true, false)};
      Result first = null;
      for (SessionTuning t : tunings) {
        EncoderSpec tuned = bareSpec.toBuilder().tuning(t).build();
        TextEncoder.forTask(tuned).encodeOne("warm up the session");
        Result r = measure("bare, " + t, texts.size(), runs, warmup, () -> bareRun(tuned, texts, callers));
        results.add(r);
        first = first == null ? r : first;
      }
      report(results, first, loadSeconds, texts.size(), options.get("--report"), bareSpec);
      return;
    }
    if (options.get("--variants").equals("models")) {
      Result first = null;
      for (String model : options.get("--models").split(",")) {
        EncoderSpec modelSpec = settings.with(GteConf.MODEL, model.trim()).toLocalSpec(1);
        TextEncoder.forTask(modelSpec).encodeOne("warm up the session");
        Result r = measure("bare, model " + model.trim(), texts.size(), runs, warmup,
            () -> bareRun(modelSpec, texts, callers));
        results.add(r);
        first = first == null ? r : first;
      }
      report(results, first, loadSeconds, texts.size(), options.get("--report"), bareSpec);
      return;
    }
    if (options.get("--variants").equals("budgets")) {
      int n = Math.min(texts.size(), options.getInt("--variant-docs"));
      List<String> subset = texts.subList(0, n);
      Result first = null;
      for (String b : options.get("--budgets").split(",")) {
        int budget = Integer.parseInt(b.trim());
        Result r = measure("bare, batch budget " + budget + " tokens", n, runs, warmup,
            () -> bareRun(bareSpec.toBuilder().batchMaxTokens(budget).build(), subset, callers));
        results.add(r);
        first = first == null ? r : first;
      }
      report(results, first, loadSeconds, n, options.get("--report"), bareSpec);
      return;
    }
    Result bare = measure("bare encoder loop (" + callers + " callers x " + bareSpec.threads() + " threads)",
        texts.size(), runs, warmup, () -> bareRun(bareSpec, texts, callers));
    results.add(bare);

    Dataset<Row> frame = input.select(textCol).repartition(cores).cache();
    frame.count();
    EncoderSpec sparkSpec = settings.toSpec(spark);
    results.add(measure("Spark embed job (" + cores + " tasks x " + sparkSpec.threads() + " threads)", texts.size(),
        runs, warmup, () -> sparkRun(frame, sparkSpec, textCol)));

    if (options.get("--variants").equals("all")) {
      int n = Math.min(texts.size(), options.getInt("--variant-docs"));
      List<String> subset = texts.subList(0, n);
      Dataset<Row> small = n == texts.size() ? frame : frame.limit(n).repartition(cores).cache();
      small.count();
      if (n < texts.size()) {
        results.add(measure("bare, " + n + " docs", n, runs, warmup, () -> bareRun(bareSpec, subset, callers)));
      }
      results.add(measure("bare, padded to max length", n, runs, warmup,
          () -> bareRun(bareSpec.toBuilder().padToMaxLength(true).build(), subset, callers)));
      results.add(measure("bare, batches in input order (unsorted)", n, runs, warmup,
          () -> bareRun(bareSpec.toBuilder().sortByLength(false).build(), subset, callers)));
      results.add(measure("bare, batch budget 4096 tokens", n, runs, warmup,
          () -> bareRun(bareSpec.toBuilder().batchMaxTokens(4096).build(), subset, callers)));
      EncoderSpec allThreads = bareSpec.toBuilder().threads(cores).build();
      results.add(measure("bare, 1 caller x " + cores + " threads", n, runs, warmup,
          () -> bareRun(allThreads, subset, 1)));
      results.add(measure("bare, 1 caller x 1 thread (one core)", n, runs, warmup,
          () -> bareRun(bareSpec, subset, 1)));
      if (n < texts.size()) {
        results.add(measure("Spark, " + n + " docs, " + cores + " tasks x " + sparkSpec.threads() + " threads", n,
            runs, warmup, () -> sparkRun(small, sparkSpec, textCol)));
      }
      EncoderSpec twoThreads = sparkSpec.toBuilder().threads(Math.max(2, cores)).build();
      results.add(measure("Spark, " + cores + " tasks x " + twoThreads.threads() + " threads", n, runs, warmup,
          () -> sparkRun(small, twoThreads, textCol)));
      Dataset<Row> onePartition = small.coalesce(1);
      results.add(measure("Spark, 1 task x " + twoThreads.threads() + " threads", n, runs, warmup,
          () -> sparkRun(onePartition, twoThreads, textCol)));
      GteSqlFunctions.register(spark, sparkSpec);
      results.add(measure("Spark SQL function gte_embed (row at a time)", n, runs, warmup,
          () -> sqlRun(small, textCol)));
    }
    report(results, bare, loadSeconds, texts.size(), options.get("--report"), bareSpec);
  }

  private static Result measure(String name, int docs, int runs, int warmup, Supplier<EncodeCounters> run) {
    for (int i = 0; i < warmup; i++) {
      run.get();
    }
    double[] seconds = new double[runs];
    EncodeCounters last = null;
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      last = run.get();
      seconds[i] = (System.nanoTime() - t) / 1e9;
    }
    double busy = last == null ? 0 : last.tokenizeNanos() + last.inferenceNanos();
    Result r = new Result(name, docs, seconds, last == null ? 0 : last.tokens(), last == null ? 0 : last.paddedTokens(),
        busy > 0 ? last.tokenizeNanos() / busy : Double.NaN, last != null && last.gpuBatches() > 0);
    System.out.printf("bench: %-58s %9.1f docs/s  (runs %s s)%n", name, r.docsPerSecond(), Arrays.toString(seconds));
    return r;
  }

  /**
   * The engine's own encoder on the driver, no Spark: {@code callers} threads each encode a
   * contiguous share of the texts, chunk by chunk, through the JVM's shared session.
   */
  private static EncodeCounters bareRun(EncoderSpec spec, List<String> texts, int callers) {
    EncodeCounters total = new EncodeCounters();
    List<Thread> threads = new ArrayList<>();
    List<EncodeCounters> parts = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    int share = (texts.size() + callers - 1) / callers;
    for (int c = 0; c < callers; c++) {
      List<String> slice = texts.subList(Math.min(texts.size(), c * share), Math.min(texts.size(), (c + 1) * share));
      Thread t = new Thread(() -> {
        try {
          TextEncoder encoder = TextEncoder.forTask(spec);
          int chunk = spec.chunkRows();
          for (int from = 0; from < slice.size(); from += chunk) {
            encoder.encode(slice.subList(from, Math.min(slice.size(), from + chunk)));
          }
          parts.add(encoder.counters());
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "bench-caller-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("bench interrupted", e);
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("bare encoder loop failed: " + errors.get(0), errors.get(0));
    }
    parts.forEach(total::add);
    return total;
  }

  private static EncodeCounters sparkRun(Dataset<Row> frame, EncoderSpec spec, String textCol) {
    EncodeCountersAccumulator acc = new EncodeCountersAccumulator();
    frame.sparkSession().sparkContext().register(acc);
    EmbeddingColumns columns = EmbeddingColumns.of(frame.schema(), List.of(textCol), List.of("embedding"));
    DatasetEmbedder.embed(frame, spec, columns, acc).write().format("noop").mode("overwrite").save();
    return acc.value();
  }

  private static EncodeCounters sqlRun(Dataset<Row> frame, String textCol) {
    frame.select(functions.callUDF(GteSqlFunctions.EMBED, frame.col(textCol))).write().format("noop")
        .mode("overwrite").save();
    return new EncodeCounters();
  }

  private static void report(List<Result> results, Result bare, double loadSeconds, int docs, String reportPath,
      EncoderSpec spec) {
    StringBuilder md = new StringBuilder();
    md.append(String.format("machine: %d cores, %s, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
        cpuModel(), System.getProperty("java.version"), LocalDate.now()));
    md.append(String.format("model: %s, max length %d, batch tokens %d, device %s, corpus %d docs, %d tokens%n",
        spec.identity().name(), spec.identity().maxLength(), spec.batchMaxTokens(bare.onGpu),
        bare.onGpu ? "cuda" : "cpu", docs, bare.tokens));
    md.append(String.format("model load (resolve, validate, hash, open session and tokenizer): %.2f s%n", loadSeconds));
    md.append(String.format("peak memory: heap %d MiB, process RSS %d MiB%n%n", MemoryProbe.peakHeapMiB(),
        MemoryProbe.peakRssMiB()));
    md.append("| measurement | docs | docs/s (median) | tokens/s | padded/real tokens | tokenizer share | ratio to bare loop |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    Map<String, Object> json = new LinkedHashMap<>();
    for (Result r : results) {
      Result base = r.docs == bare.docs ? bare : results.stream()
          .filter(x -> x.docs == r.docs && x.name.startsWith("bare")).findFirst().orElse(bare);
      double ratio = r.docsPerSecond() / base.docsPerSecond();
      md.append(String.format("| %s | %d | %.1f | %s | %s | %s | %.2f |%n", r.name, r.docs, r.docsPerSecond(),
          r.tokens > 0 ? String.format("%.0f", r.tokens / r.median()) : "-",
          r.tokens > 0 ? String.format("%.2f", (double) r.paddedTokens / r.tokens) : "-",
          Double.isNaN(r.tokenizeShare) ? "-" : String.format("%.1f%%", 100 * r.tokenizeShare), ratio));
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("docs", r.docs);
      one.put("docsPerSecond", r.docsPerSecond());
      one.put("seconds", r.seconds);
      one.put("ratioToBare", ratio);
      json.put(r.name, one);
    }
    System.out.println();
    System.out.print(md);
    if (reportPath != null) {
      json.put("modelLoadSeconds", loadSeconds);
      json.put("peakHeapMiB", MemoryProbe.peakHeapMiB());
      json.put("peakRssMiB", MemoryProbe.peakRssMiB());
      OutputIdentity.writeJson(new org.apache.hadoop.fs.Path(Paths.get(reportPath).toAbsolutePath().toUri()), json,
          new org.apache.hadoop.conf.Configuration());
    }
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Paths.get("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

}
