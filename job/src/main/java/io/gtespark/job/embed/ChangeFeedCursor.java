package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.DeltaSource;
import io.gtespark.job.io.DeltaTransactions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Which version of its Delta source a vector table reflects, kept in the vector table's own
 * transaction log as the idempotent-write record ({@code gte-cdf-<source table id>}, version).
 * A change feed is applied in the same commit that advances the record, so the record can never
 * run ahead of or behind the rows: {@code --since-version auto} continues from it, a given
 * version that would skip changes is refused, an already applied range is a no-op, and a vector
 * table that follows another source is refused.
 */
final class ChangeFeedCursor {
  /** Prefix of the app ids that record source versions. */
  static final String APP_PREFIX = "gte-cdf-";
  /** The {@code --since-version} value that continues from the recorded version. */
  static final String AUTO = "auto";

  private final SparkSession spark;
  private final String target;
  private final DeltaSource source;
  private final String appId;
  private final Map<String, Long> recorded;

  private ChangeFeedCursor(SparkSession spark, String target, DeltaSource source) {
    this.spark = spark;
    this.target = target == null ? "the new output table" : target; // named in messages only
    this.source = source;
    this.appId = APP_PREFIX + source.tableId();
    this.recorded = DeltaTransactions.of(spark, target);
  }

  /** The cursor of vector table {@code target} (null or absent: none yet) over {@code source}. */
  static ChangeFeedCursor of(SparkSession spark, String target, DeltaSource source) {
    return new ChangeFeedCursor(spark, target, source);
  }

  /** The app id under which the table records this source's version. */
  String appId() {
    return appId;
  }

  /** The source version the table reflects, or null when none is recorded for this source. */
  Long recordedVersion() {
    return recorded.get(appId);
  }

  /** The source version this run brings the table to. */
  long targetVersion() {
    return source.version();
  }

  /**
   * The version after which this run applies changes, from {@code --since-version} ({@value #AUTO}
   * or a number): the recorded version for auto; a number beyond it (changes would be skipped) is
   * refused; a number before it starts at the recorded version instead (the rest was applied).
   */
  long since(String given, PrintStream out) {
    Long last = recordedVersion();
    if (last == null) {
      List<String> others = new ArrayList<>();
      recorded.keySet().stream().filter(k -> k.startsWith(APP_PREFIX)).forEach(k -> others.add(k.substring(
          APP_PREFIX.length())));
      if (!others.isEmpty()) {
        throw new UsageException("Vector table " + target + " follows another Delta source (table id "
            + String.join(", ", others) + " in its log), not " + source.name() + " (table id "
            + appId.substring(APP_PREFIX.length()) + "): applying this source's changes would mix two histories. "
            + "Write this source's vectors to another --output, or run a full --mode merge from it first.");
      }
      if (AUTO.equals(given)) {
        throw new UsageException("--since-version auto continues from the source version recorded in " + target
            + ", but none is recorded for " + source.name() + ": the table was not made by a --mode merge from this "
            + "input (or by an older gte-spark). Run the same command once without --since-version (a full merge, "
            + "which records the version it read), or give the version: --since-version N.");
      }
      return parse(given); // nothing to check against: an older table, trusted once and recorded from now on
    }
    if (AUTO.equals(given)) {
      return last;
    }
    long asked = parse(given);
    if (asked > last) {
      throw new UsageException("--since-version " + asked + " would skip the changes of version" + (asked == last + 1
          ? " " + asked : "s " + (last + 1) + " to " + asked) + " of " + source.name() + ": " + target
          + " reflects it up to version " + last + " (recorded in its log). Use --since-version auto (or " + last
          + ").");
    }
    if (asked < last) {
      out.printf("embed: versions %d to %d of %s were applied to %s by an earlier run; applying the changes after "
          + "version %d%n", asked + 1, last, source.name(), target, last);
    }
    return last;
  }

  private long parse(String given) {
    long asked;
    try {
      asked = Long.parseLong(given.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--since-version is a version number of the Delta input or 'auto' (continue from the "
          + "version recorded in the output); '" + given + "' is neither.");
    }
    source.requireVersion(asked); // a version the source never had is named as such, before any gap
    return asked;
  }

  /**
   * Records {@link #targetVersion()} after a run that brought the whole table to it (a full merge,
   * sliced or not), unless already recorded: an empty, idempotent append carrying the record. A
   * crash before it leaves the rows committed and the record behind; the rerun embeds nothing and
   * records it then. {@code table}: the vector table's location now (a new catalog table has one
   * only once the run created it).
   */
  void recordAfterWholeRun(String table) {
    Long last = recordedVersion();
    if (last != null && last >= targetVersion()) {
      return;
    }
    Dataset<Row> none = spark.read().format("delta").load(table).limit(0);
    none.write().format("delta").mode(SaveMode.Append)
        .option("txnAppId", appId).option("txnVersion", targetVersion()).save(table);
  }
}
