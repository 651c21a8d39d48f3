package io.gtespark.job.similarity;

import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cells.Cells;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import java.util.List;

/**
 * The inverted-file knobs shared by every stage that searches k-means cells ({@code similarity
 * --approx}, {@code dedup}), each under its stage's property prefix.
 */
public final class IvfOptions {
  private IvfOptions() {}

  /** The options, their properties under {@code prefix} (e.g. {@code spark.gte.similarity}). */
  public static List<OptionSpec> specs(String prefix, String what) {
    return List.of(
        OptionSpec.optional("--nlist", prefix + ".nlist", "auto",
            "cells of " + what + ": auto (about 4 x sqrt(corpus rows)) or a number"),
        OptionSpec.optional("--nprobe", prefix + ".nprobe", "auto",
            "cells each query searches with " + what + ": auto (" + CellSettings.DEFAULT_NPROBE + "; in an index "
            + CellSettings.INDEX_AUTO_PROBES + ") or a number (more: better recall, slower)"),
        OptionSpec.optional("--train-sample", prefix + ".trainSample", "auto",
            "corpus rows the cells are trained on: auto (40 per cell, at least 10,000) or a number"),
        OptionSpec.optional("--train-iter", prefix + ".trainIter", "3",
            "k-means iterations when training the cells (it stops earlier once no centroid moves)"),
        OptionSpec.optional("--recall-sample", prefix + ".recallSample", "200",
            "queries whose " + what + " recall is measured against exact search (0: off)"),
        OptionSpec.optional("--seed", prefix + ".seed", "42", "seed of the cells and the recall sample"),
        OptionSpec.optional("--block-rows", prefix + ".blockRows", "4096",
            "rows per block scored with one matrix product"),
        OptionSpec.optional("--unit-rows", prefix + ".unitRows", "16384",
            "corpus rows one task holds at a time with " + what + " (bigger cells are cut into chunks of this size)"));
  }

  /** {@code --block-rows}, checked. */
  public static int blockRows(StageOptions options) {
    int blockRows = options.getInt("--block-rows");
    if (blockRows < 1) {
      throw new UsageException("--block-rows must be at least 1.");
    }
    return blockRows;
  }

  /** {@code --nprobe}, checked: 0 for auto (the search decides from its cells), else at least 1. */
  public static int probes(StageOptions options) {
    if (options.get("--nprobe").equals("auto")) {
      return 0;
    }
    int nprobe = options.getInt("--nprobe");
    if (nprobe < 1) {
      throw new UsageException("--nprobe must be auto or at least 1.");
    }
    return nprobe;
  }

  /** The settings the options give, checked. */
  public static CellSettings settings(StageOptions options) {
    int nlist = options.get("--nlist").equals("auto") ? 0 : options.getInt("--nlist");
    int trainSample = options.get("--train-sample").equals("auto") ? 0 : options.getInt("--train-sample");
    int nprobe = probes(options);
    if (nlist < 0 || trainSample < 0) {
      throw new UsageException("--nlist and --train-sample must be auto or positive.");
    }
    int iterations = options.getInt("--train-iter");
    if (iterations < 1) {
      throw new UsageException("--train-iter must be at least 1.");
    }
    int unitRows = options.getInt("--unit-rows");
    if (unitRows < 1) {
      throw new UsageException("--unit-rows must be at least 1.");
    }
    return new CellSettings(nlist, nprobe, trainSample, iterations, options.getLong("--seed"), blockRows(options),
        unitRows);
  }
}
