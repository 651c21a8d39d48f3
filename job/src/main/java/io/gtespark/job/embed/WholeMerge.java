package io.gtespark.job.embed;

/**
 * {@code --mode merge} in one Delta commit: the rows whose id is new or whose text changed are
 * embedded and upserted. A rerun after a crash compares the table again and embeds only what it
 * still lacks. Over a Delta input the table then records the source version it reflects, for
 * {@code --since-version auto}.
 */
final class WholeMerge implements CommitPlan {
  private final Long rowsCounted;
  private final ChangeFeedCursor cursor;

  /**
   * {@code rowsCounted}: the input's rows if planning already counted them with unique ids, else
   * null; {@code cursor}: the source-version record of a Delta input, else null.
   */
  WholeMerge(Long rowsCounted, ChangeFeedCursor cursor) {
    this.rowsCounted = rowsCounted;
    this.cursor = cursor;
  }

  @Override
  public Committed commit(EmbedRun run) {
    long rowsIn = rowsCounted != null ? rowsCounted : DeltaMerge.requireUniqueIds(run.input, run.idCol, "the input");
    long embedded = run.upsertChanged(run.prepared(run.input), null, -1);
    if (cursor != null) {
      cursor.recordAfterWholeRun(run.writer.output());
    }
    return new Committed(embedded, rowsIn, false).put("rowsIn", rowsIn).put("rowsEmbedded", embedded)
        .put("rowsUnchanged", rowsIn - embedded);
  }
}
