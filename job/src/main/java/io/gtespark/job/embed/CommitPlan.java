package io.gtespark.job.embed;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One way an {@code embed} commits its rows; each says what it reads, how it commits and how a
 * rerun of the same command resumes, so that every restart rule lives in one class:
 *
 * <ul>
 *   <li>{@link WholeWrite}: error, overwrite, append, overwrite-partitions in one commit (Spark's
 *       commit protocol or one Delta commit; {@code --txn-app-id} makes a Delta append idempotent);
 *   <li>{@link WholeMerge}: a Delta upsert of the new or changed rows in one commit;
 *   <li>{@link SlicedCommits}: a Delta append or merge in slices, one idempotent commit each,
 *       resumed from the table's log;
 *   <li>{@link ChangeFeedMerge}: a Delta source's change feed applied in one commit that also
 *       records the source version it brings the table to;
 *   <li>{@link StreamCommits}: Structured Streaming, one idempotent commit per micro-batch, keyed
 *       by the checkpoint's own query id.
 * </ul>
 */
interface CommitPlan {
  /** Embeds what this plan reads and commits it. */
  Committed commit(EmbedRun run);

  /** What a plan committed: exact row counts and the metrics only this plan knows. */
  final class Committed {
    /** Rows committed to the output, counted from the table (or from the persisted rows of a merge). */
    final long rowsOut;
    /** Input rows considered (merges and slices), or null when that is {@link #rowsOut}. */
    final Long rowsIn;
    final Map<String, Object> metrics = new LinkedHashMap<>();
    /** True when the plan wrote its own metrics file as it went (a stream, per micro-batch). */
    final boolean metricsWritten;

    Committed(long rowsOut, Long rowsIn, boolean metricsWritten) {
      this.rowsOut = rowsOut;
      this.rowsIn = rowsIn;
      this.metricsWritten = metricsWritten;
    }

    Committed put(String key, Object value) {
      metrics.put(key, value);
      return this;
    }
  }
}
