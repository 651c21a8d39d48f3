package io.gtespark.job.embed;

import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.io.DeltaSource;
import io.gtespark.job.io.DeltaTransactions;
import io.gtespark.job.metrics.ProgressListener;
import io.gtespark.udf.model.ModelIdentity;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Delta append or merge in the slices of a {@link SlicePlan}, one idempotent Delta commit each
 * ({@code txnAppId} = the run id, {@code txnVersion} = the slice number). A rerun of the same
 * command skips the slices the table's log records for the run id, so a crash loses at most the
 * slice in flight. An append resumes only on an input proven unchanged (same fingerprint); a
 * merge on a changed input is a new run, since it embeds only what the table lacks.
 */
final class SlicedCommits implements CommitPlan {
  private final SlicePlan plan;
  private final List<String> keyCols;
  private final boolean merge;
  private final ChangeFeedCursor cursor;
  private final Long rowsCounted;
  private final long commitRows;
  private final boolean named;

  private SlicedCommits(SlicePlan plan, List<String> keyCols, boolean merge, ChangeFeedCursor cursor,
      Long rowsCounted, long commitRows, boolean named) {
    this.plan = plan;
    this.keyCols = List.copyOf(keyCols);
    this.merge = merge;
    this.cursor = cursor;
    this.rowsCounted = rowsCounted;
    this.commitRows = commitRows;
    this.named = named;
  }

  /**
   * The saved plan of an append run that this command would resume, or null: read before the input,
   * so that a Delta input is read at the version the run was planned on.
   */
  static SlicePlan resumedAppend(SliceSettings slicing, StageOptions options, String location, ModelIdentity identity,
      Configuration conf) {
    return slicing.enabled() ? SlicePlan.load(location, slicing.runId(options, location, identity, null), conf) : null;
  }

  /**
   * This run's slices: the saved plan of the same run (refused when the input changed since it
   * was planned), or a new plan after counting the input (a merge also checks its ids are unique).
   * {@code deltaAsFiles}: the Delta input is read from its data files ({@link DeltaSource#files()}),
   * so it can be cut by file; {@code resumed}: what {@link #resumedAppend} found; {@code cursor}:
   * the source-version record of a merge over a Delta input, else null.
   */
  static SlicedCommits plan(SparkSession spark, SliceSettings slicing, StageOptions options, String location,
      ModelIdentity identity, boolean merge, DeltaSource delta, boolean deltaAsFiles, SlicePlan resumed,
      Dataset<Row> input,
      List<String> keyCols, String idCol, ChangeFeedCursor cursor) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String fingerprint = delta != null ? InputFingerprint.ofDelta(options.get("--input"), delta.version())
        : InputFingerprint.of(input, options.get("--input"), conf);
    String runId = slicing.runId(options, location, identity, merge ? fingerprint : null);
    SlicePlan plan = resumed != null ? resumed : SlicePlan.load(location, runId, conf);
    Long counted = null;
    if (plan != null) {
      plan.requireSameInput(fingerprint, options.get("--input"));
    } else {
      Long unique = merge ? DeltaMerge.requireUniqueIds(input, idCol, "the input") : null;
      if (SlicePlan.canCutByFile(input, delta != null && !deltaAsFiles)) {
        plan = SlicePlan.ofFiles(runId, SlicePlan.rowsPerFile(input), slicing.commitRows(), fingerprint,
            delta == null ? null : delta.version());
        counted = plan.rowsIn();
      } else {
        counted = unique != null ? unique : input.count();
        plan = SlicePlan.of(runId, counted, slicing.commitRows(), fingerprint, delta == null ? null : delta.version());
      }
    }
    return new SlicedCommits(plan, keyCols, merge, cursor, counted, slicing.commitRows(), slicing.named());
  }

  /** False for a new, unnamed plan of one slice: it commits as the one commit of an unsliced run. */
  boolean worthSlicing() {
    return plan.slices() > 1 || named || rowsCounted == null;
  }

  /** The input's rows if planning counted them (unique ids for a merge), else null. */
  Long rowsCounted() {
    return rowsCounted;
  }

  @Override
  public Committed commit(EmbedRun run) {
    run.writer.ensureDeltaTable(run.embedded(run.input), run.identity);
    String output = run.writer.output();
    plan.save(output, run.spark.sparkContext().hadoopConfiguration());
    long done = DeltaTransactions.lastVersion(run.spark, output, plan.runId());
    long skipped = done + 1;
    if (skipped > 0) {
      run.out.println(String.format("embed: run %s resumes: slices 0..%d of %d were committed by an earlier run, "
          + "skipped", plan.runId(), done, plan.slices()));
    }
    // One count of the committed table per appended slice: the count after a slice is the one before the next.
    long tableRows = merge ? 0 : run.writer.committedRows();
    long started = System.nanoTime();
    long embedded = 0;
    long committed = 0;
    for (int s = (int) skipped; s < plan.slices(); s++) {
      Dataset<Row> rows = run.prepared(plan.slice(run.input, keyCols, s));
      if (merge) {
        embedded += run.upsertChanged(rows, plan.runId(), s);
      } else {
        run.writer.withTransaction(plan.runId(), s);
        run.writer.write(run.embedded(rows), run.identity);
        long after = run.writer.committedRows();
        embedded += after - tableRows;
        tableRows = after;
      }
      committed++;
      double secs = (System.nanoTime() - started) / 1e9;
      long left = plan.slices() - skipped - committed;
      run.out.println(String.format("embed: slice %d/%d committed (run %s): %,d rows embedded in this run, %.0f "
              + "rows/s, elapsed %s, ETA %s", s + 1, plan.slices(), plan.runId(), embedded,
          embedded / Math.max(secs, 1e-3), ProgressListener.formatSeconds(secs),
          ProgressListener.formatSeconds(secs / committed * left)));
    }
    if (cursor != null) {
      cursor.recordAfterWholeRun(run.writer.output());
    }
    Committed out = new Committed(embedded, plan.rowsIn(), false).put("rowsIn", plan.rowsIn())
        .put("slicesCutBy", plan.byFile() ? "files" : "hash")
        .put("rowsEmbedded", embedded);
    if (merge) {
      out.put("rowsUnchanged", plan.rowsIn() - embedded);
    }
    return out.put("runId", plan.runId()).put("commitRows", commitRows).put("slicesTotal", plan.slices())
        .put("slicesCommitted", committed).put("slicesSkipped", skipped);
  }
}
