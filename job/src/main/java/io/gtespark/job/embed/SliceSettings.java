package io.gtespark.job.embed;

import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputMode;
import io.gtespark.udf.model.ModelIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Whether and how an {@code embed} commits in slices ({@code --commit-rows}, {@code --run-id}):
 * only a Delta append or merge can, because only Delta records which slices are done.
 */
public final class SliceSettings {
  private final long commitRows;
  private final boolean enabled;
  private final String runId;

  private SliceSettings(long commitRows, boolean enabled, String runId) {
    this.commitRows = commitRows;
    this.enabled = enabled;
    this.runId = runId;
  }

  /**
   * Reads and checks the slice options against the output, refusing those that cannot apply;
   * {@code wholeRunOnly} (or null) says why this run must be one commit whatever the options.
   */
  public static SliceSettings of(StageOptions options, OutputFormat format, OutputMode mode, String wholeRunOnly) {
    String given = options.get("--commit-rows");
    long rows = given == null ? EmbedStage.DEFAULT_COMMIT_ROWS : options.getLong("--commit-rows");
    if (rows < 0) {
      throw new UsageException("--commit-rows is the number of rows per commit: give a number >= 0 (0: one commit).");
    }
    String runId = options.get("--run-id");
    if (runId != null && !runId.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new UsageException("--run-id names the run in the table's transaction log and a file name: use 1 to 100 "
          + "letters, digits, '.', '_' or '-'.");
    }
    String why = format != OutputFormat.DELTA
        ? "a Delta output: Parquet and JSON files have no transaction log to record which slices are done. Write "
            + "Delta (--output-format delta), or convert an existing Parquet output once with "
            + "CONVERT TO DELTA parquet.`PATH` and append to it as Delta"
        : mode != OutputMode.APPEND && mode != OutputMode.MERGE ? "--mode append or --mode merge"
        : wholeRunOnly != null ? wholeRunOnly
        : options.get("--txn-app-id") != null ? "its own transaction ids: leave out --txn-app-id/--txn-version"
        : null;
    boolean asked = (given != null && rows > 0) || runId != null;
    if (why != null && asked) {
      throw new UsageException("--commit-rows/--run-id commit the output in slices that a rerun resumes; that needs "
          + why + ".");
    }
    return new SliceSettings(rows, why == null && rows > 0, runId);
  }

  /** True when this run commits in slices (given enough rows for more than one). */
  public boolean enabled() {
    return enabled;
  }

  /** Rows per slice. */
  public long commitRows() {
    return commitRows;
  }

  /** True when the user named the run: it is then sliced (and idempotent) however few its rows. */
  public boolean named() {
    return runId != null;
  }

  /**
   * The run's id: {@code --run-id}, or a hash of what makes two commands the same run (input, row
   * choice, output, model identity, slice size) plus {@code fingerprint} when given (a merge then
   * re-plans by itself on a changed input, which it may: it embeds only what the table lacks).
   */
  public String runId(StageOptions options, String output, ModelIdentity identity, String fingerprint) {
    if (runId != null) {
      return runId;
    }
    List<String> parts = new ArrayList<>();
    for (String flag : List.of("--input", "--format", "--where", "--text-col", "--output-col", "--id-col", "--select",
        "--drop", "--partition-by", "--output-table", "--mode")) {
      parts.add(flag + "=" + options.getAll(flag));
    }
    parts.add("output=" + output);
    parts.add("model=" + new TreeMap<>(identity.toProperties()));
    parts.add("commitRows=" + commitRows);
    parts.add("input=" + fingerprint);
    return SlicePlan.runId("embed", parts);
  }
}
