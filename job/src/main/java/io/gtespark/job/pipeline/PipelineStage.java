package io.gtespark.job.pipeline;

import io.gtespark.job.Stage;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.cluster.ClusterStage;
import io.gtespark.job.dedup.DedupStage;
import io.gtespark.job.embed.EmbedStage;
import io.gtespark.job.similarity.SimilarityStage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code pipeline}: embed, then nearest neighbours within the set and clustering, in one
 * submission. Writes {@code embeddings/}, {@code neighbours/} and {@code clusters/} under
 * {@code --output}; the later stages read the vectors the first one wrote, so the text is
 * embedded once.
 */
public final class PipelineStage implements Stage {
  @Override
  public String name() {
    return "pipeline";
  }

  @Override
  public String summary() {
    return "embed, then similarity --self and cluster on the result (and dedup with --dedup-threshold), in one "
        + "submission (output folders embeddings/, neighbours/, clusters/, dedup/).";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> specs = new ArrayList<>(Arrays.asList(
        OptionSpec.required("--input", "spark.gte.input", "input path or catalog table"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto", "input format"),
        OptionSpec.required("--text-col", "spark.gte.pipeline.textCol", "the text column"),
        OptionSpec.required("--id-col", "spark.gte.idCol", "the id column"),
        OptionSpec.required("--output", "spark.gte.output", "output folder"),
        OptionSpec.optional("--output-format", "spark.gte.output.format", "parquet", "parquet, delta or json"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error", "error or overwrite"),
        OptionSpec.optional("--partitions", "spark.gte.partitions", null,
            "repartition before embedding (default: the input's partitions)"),
        OptionSpec.optional("--top-k", "spark.gte.similarity.topK", "5", "neighbours per row"),
        OptionSpec.optional("--min-score", "spark.gte.similarity.minScore", null, "drop neighbours scoring below this"),
        OptionSpec.flag("--approx", "spark.gte.similarity.approx",
            "approximate neighbours with the inverted-file search of similarity --approx (recall measured)"),
        OptionSpec.optional("--nprobe", "spark.gte.similarity.nprobe", null,
            "cells each row searches with --approx (default: similarity's)"),
        OptionSpec.optional("--k", "spark.gte.cluster.k", "auto", "clusters, or auto"),
        OptionSpec.optional("--seed", "spark.gte.cluster.seed", "42", "clustering seed"),
        OptionSpec.optional("--representatives", "spark.gte.cluster.representatives", "3", "texts per cluster to keep"),
        OptionSpec.optional("--dedup-threshold", "spark.gte.pipeline.dedupThreshold", null,
            "end with dedup at this cosine (output dedup/kept, dedup/duplicates); default: no dedup step"),
        OptionSpec.optional("--dedup-keep", "spark.gte.dedup.keep", "first", "which row of a duplicate group dedup keeps")));
    specs.addAll(EngineOptions.specs());
    return specs;
  }

  @Override
  public void run(SparkSession spark, StageOptions o) {
    String mode = o.get("--mode");
    if (!mode.equals("error") && !mode.equals("overwrite")) {
      throw new UsageException("pipeline writes with --mode error or overwrite, not " + mode + ".");
    }
    String out = o.get("--output").replaceAll("/+$", "");
    String format = o.get("--output-format");
    String embeddings = out + "/embeddings";
    List<String> embed = new ArrayList<>(List.of("--input", o.get("--input"), "--format", o.get("--format"),
        "--text-col", o.get("--text-col"), "--id-col", o.get("--id-col"), "--output", embeddings,
        "--output-format", format, "--mode", mode));
    if (o.get("--partitions") != null) {
      embed.addAll(List.of("--partitions", o.get("--partitions")));
    }
    for (OptionSpec engine : EngineOptions.specs()) {
      if (o.get(engine.flag()) != null) {
        embed.add(engine.flag());
        embed.add(o.get(engine.flag()));
      }
    }
    run(spark, new EmbedStage(), embed);

    List<String> similarity = new ArrayList<>(List.of("--self", "--input", embeddings, "--format", format,
        "--id-col", o.get("--id-col"), "--top-k", o.get("--top-k"), "--output", out + "/neighbours",
        "--output-format", format, "--mode", mode));
    if (o.get("--min-score") != null) {
      similarity.addAll(List.of("--min-score", o.get("--min-score")));
    }
    if (o.isOn("--approx")) {
      similarity.add("--approx");
      if (o.get("--nprobe") != null) {
        similarity.addAll(List.of("--nprobe", o.get("--nprobe")));
      }
    }
    run(spark, new SimilarityStage(), similarity);

    run(spark, new ClusterStage(), List.of("--input", embeddings, "--format", format, "--id-col", o.get("--id-col"),
        "--text-col", o.get("--text-col"), "--k", o.get("--k"), "--seed", o.get("--seed"), "--representatives",
        o.get("--representatives"), "--output", out + "/clusters", "--output-format", format, "--mode", mode));
    if (o.get("--dedup-threshold") != null) {
      List<String> dedup = new ArrayList<>(List.of("--input", embeddings, "--format", format, "--id-col",
          o.get("--id-col"), "--text-col", o.get("--text-col"), "--threshold", o.get("--dedup-threshold"), "--keep",
          o.get("--dedup-keep"), "--output", out + "/dedup", "--output-format", format, "--mode", mode));
      if (o.get("--nprobe") != null) {
        dedup.addAll(List.of("--nprobe", o.get("--nprobe")));
      }
      run(spark, new DedupStage(), dedup);
    }
    System.out.println("pipeline done: " + out + "/{embeddings,neighbours,clusters"
        + (o.get("--dedup-threshold") != null ? ",dedup" : "") + "}");
  }

  private static void run(SparkSession spark, Stage stage, List<String> args) {
    long start = System.nanoTime();
    stage.run(spark, StageOptions.parse(stage.name(), stage.options(), args.toArray(new String[0]),
        StageOptions.sessionProperties(spark)));
    System.out.printf("pipeline: %s took %.1f s%n", stage.name(), (System.nanoTime() - start) / 1e9);
  }
}
