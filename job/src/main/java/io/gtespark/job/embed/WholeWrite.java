package io.gtespark.job.embed;

import io.gtespark.job.io.OutputColumns;
import io.gtespark.job.io.OutputMode;
import java.util.List;

/**
 * error, overwrite, append or overwrite-partitions in one commit: Spark's commit protocol for
 * files, one Delta commit for Delta ({@code --txn-app-id}/{@code --txn-version}: the idempotent
 * append a scheduler's rerun skips). A crash commits nothing; the rerun starts over.
 */
final class WholeWrite implements CommitPlan {
  private final OutputMode mode;
  private final List<String> partitionBy;

  WholeWrite(OutputMode mode, List<String> partitionBy) {
    this.mode = mode;
    this.partitionBy = List.copyOf(partitionBy);
  }

  @Override
  public Committed commit(EmbedRun run) {
    long before = mode == OutputMode.APPEND && run.writer.exists() ? run.writer.committedRows() : 0;
    run.writer.write(run.embedded(run.prepared(run.input)), run.identity);
    // Exact, from the committed output: the engine's accumulators can count a recomputed task twice.
    // An overwrite of some partitions counts the rows of the partitions this run's input has.
    long rowsOut = mode == OutputMode.OVERWRITE_PARTITIONS
        ? run.writer.committedRowsIn(OutputColumns.select(run.input, partitionBy).distinct())
        : run.writer.committedRows() - before;
    return new Committed(rowsOut, null, false);
  }
}
