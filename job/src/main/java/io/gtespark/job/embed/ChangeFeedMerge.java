package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputColumns;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code --since-version}: a Delta source's change data feed after the table's recorded version,
 * applied in one Delta commit that embeds the inserted rows and those whose text changed, updates
 * the other columns of rows whose text did not, deletes the deleted ids, and records the source
 * version reached ({@link ChangeFeedCursor}). A crash commits nothing; the rerun applies the same
 * range; a finished range rerun is a no-op.
 */
final class ChangeFeedMerge implements CommitPlan {
  private final ChangeFeedCursor cursor;
  private final long since;
  private final Dataset<Row> deletedIds;

  /**
   * {@code run}'s input is the feed's upserts (one row per id, with text hashes); {@code deletedIds}
   * the ids whose last change in the range deleted them; {@code since} the version the range starts after.
   */
  ChangeFeedMerge(ChangeFeedCursor cursor, long since, Dataset<Row> deletedIds) {
    this.cursor = cursor;
    this.since = since;
    this.deletedIds = deletedIds;
  }

  @Override
  public Committed commit(EmbedRun run) {
    DeltaMerge merge = new DeltaMerge(run.spark, run.writer.output(), run.idCol, run.textCols);
    if (!merge.tableExists()) {
      throw new UsageException("--since-version updates a vector table that an earlier embed made, but "
          + run.writer.output() + " is not a Delta table yet: run the same command once without --since-version.");
    }
    Dataset<Row> hashed = run.prepared(run.input); // a merge's input carries its text hashes
    List<String> plain = new ArrayList<>(run.written);
    plain.removeAll(run.vectorCols);
    // Materialised once: MERGE reads its source more than once, and embedding twice would double the cost.
    Dataset<Row> changes = DeltaMerge.changeSet(run.embedded(merge.changedRows(hashed)),
        OutputColumns.select(merge.sameTextRows(hashed), plain), deletedIds).persist(StorageLevel.MEMORY_AND_DISK());
    long[] actions;
    try {
      actions = DeltaMerge.countActions(changes);
      if (actions[0] + actions[1] + actions[2] > 0) {
        // The rows and the source version they bring the table to, in one commit.
        merge.inTransaction(cursor.appId(), cursor.targetVersion(),
            () -> merge.applyChanges(changes, run.written, run.vectorCols));
      } else {
        cursor.recordAfterWholeRun(run.writer.output());
      }
    } finally {
      changes.unpersist();
    }
    long upserted = actions[0] + actions[1];
    return new Committed(actions[0], upserted, false).put("rowsIn", upserted).put("rowsEmbedded", actions[0])
        .put("rowsUnchanged", actions[1]).put("rowsDeleted", actions[2]).put("sinceVersion", since)
        .put("sourceTableId", cursor.appId().substring(ChangeFeedCursor.APP_PREFIX.length()));
  }
}
