package io.gtespark.job.bench;

import io.gtespark.job.Stage;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Paths;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** {@code corpus}: writes a benchmark corpus (see {@link CorpusGenerator}). */
public final class CorpusStage implements Stage {
  @Override
  public String name() {
    return "corpus";
  }

  @Override
  public String summary() {
    return "Writes a deterministic benchmark corpus (JSON lines id,text) with a skewed length distribution "
        + "from English text found on this machine.";
  }

  @Override
  public boolean needsSpark() {
    return false;
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.optional("--docs", "spark.gte.corpus.docs", "4000", "number of documents (1k to 1M)"),
        OptionSpec.optional("--seed", "spark.gte.corpus.seed", "42", "random seed"),
        OptionSpec.required("--output", "spark.gte.corpus.output", "output file (.jsonl)"),
        OptionSpec.repeatable("--source", "spark.gte.corpus.sources", false,
            "folder of English text files (default: " + String.join(", ", CorpusGenerator.DEFAULT_SOURCES) + ")"));
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    List<String> sources = options.getAll("--source").isEmpty() ? CorpusGenerator.DEFAULT_SOURCES : options.getAll("--source");
    CorpusGenerator generator = CorpusGenerator.fromSources(sources);
    int docs = options.getInt("--docs");
    try {
      generator.write(Paths.get(options.get("--output")), docs, options.getLong("--seed"));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + options.get("--output") + ": " + e.getMessage(), e);
    }
    System.out.printf("corpus: %d documents from %d distinct sentences written to %s%n", docs,
        generator.sentenceCount(), options.get("--output"));
  }
}
