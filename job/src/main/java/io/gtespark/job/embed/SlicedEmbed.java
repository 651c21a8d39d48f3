package io.gtespark.job.embed;

import io.gtespark.job.metrics.ProgressListener;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a Delta append or merge as the slices of a {@link SlicePlan}, one idempotent Delta commit
 * each ({@code txnAppId} = the run id, {@code txnVersion} = the slice number), skipping the slices
 * the table already recorded for the run. A crash loses at most the slice in flight.
 */
public final class SlicedEmbed {
  /**
   * What one slice does: write (or merge) its rows in one Delta commit that carries transaction
   * ({@code runId}, {@code slice}), returning the rows it embedded.
   */
  @FunctionalInterface
  public interface SliceWrite {
    long write(Dataset<Row> sliceRows, String runId, int slice);
  }

  /** What a sliced run did. */
  public static final class Outcome {
    public final long skipped;
    public final long committed;
    public final long rowsEmbedded;

    Outcome(long skipped, long committed, long rowsEmbedded) {
      this.skipped = skipped;
      this.committed = committed;
      this.rowsEmbedded = rowsEmbedded;
    }
  }

  private final SparkSession spark;
  private final SlicePlan plan;
  private final List<String> keyCols;
  private final PrintStream out;

  public SlicedEmbed(SparkSession spark, SlicePlan plan, List<String> keyCols, PrintStream out) {
    this.spark = spark;
    this.plan = plan;
    this.keyCols = List.copyOf(keyCols);
    this.out = out;
  }

  /**
   * Commits the slices of {@code input} that the table at {@code output} (null: not created yet) has not recorded yet, in order.
   * {@code prepare} turns a slice's rows into what {@code write} takes (repartitioning, say).
   */
  public Outcome run(Dataset<Row> input, String output, Function<Dataset<Row>, Dataset<Row>> prepare,
      SliceWrite write) {
    long done = SlicePlan.lastCommitted(spark, output, plan.runId());
    long skipped = done + 1;
    if (skipped > 0) {
      out.println(String.format("embed: run %s resumes: slices 0..%d of %d were committed by an earlier run, "
          + "skipped", plan.runId(), done, plan.slices()));
    }
    long started = System.nanoTime();
    long embedded = 0;
    long committed = 0;
    for (int s = (int) skipped; s < plan.slices(); s++) {
      Dataset<Row> rows = prepare.apply(plan.slice(input, keyCols, s));
      embedded += write.write(rows, plan.runId(), s);
      committed++;
      double secs = (System.nanoTime() - started) / 1e9;
      long left = plan.slices() - skipped - committed;
      out.println(String.format("embed: slice %d/%d committed (run %s): %,d rows embedded in this run, %.0f rows/s, "
              + "elapsed %s, ETA %s", s + 1, plan.slices(), plan.runId(), embedded, embedded / Math.max(secs, 1e-3),
          ProgressListener.formatSeconds(secs), ProgressListener.formatSeconds(secs / committed * left)));
    }
    return new Outcome(skipped, committed, embedded);
  }
}
