package io.gtespark.job.embed;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cli.UsageException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code --mode merge}: embeds only the input rows whose id is new to the Delta table or whose
 * text hash differs from the stored one, and upserts them in one Delta commit. Re-running a
 * finished merge embeds nothing.
 */
public final class DeltaMerge {
  private static final String ACTION = "_gte_action";
  private static final String EMBED = "embed";
  private static final String COLUMNS = "columns";
  private static final String DELETE = "delete";
  /** Delta's session settings that make a DML command such as MERGE idempotent (Delta's writer options do not reach it). */
  private static final String TXN_APP_ID = "spark.databricks.delta.write.txnAppId";
  private static final String TXN_VERSION = "spark.databricks.delta.write.txnVersion";
  private final SparkSession spark;
  private final String output;
  private final String idCol;
  private final List<String> textCols;

  public DeltaMerge(SparkSession spark, String output, String idCol, List<String> textCols) {
    this.spark = spark;
    this.output = output;
    this.idCol = idCol;
    this.textCols = textCols;
  }

  /**
   * The rows of {@code hashed} (input plus hash columns) that need embedding: all of them when
   * the table does not exist yet.
   */
  public Dataset<Row> changedRows(Dataset<Row> hashed) {
    if (!tableExists()) {
      return hashed;
    }
    Dataset<Row> stored = storedHashes();
    return hashed.join(stored,
        hashed.col(idCol).equalTo(stored.col(idCol)).and(ContentHash.sameTexts(hashed, stored, textCols)),
        "left_anti");
  }

  /** The rows of {@code hashed} whose id is in the table with the same texts: nothing to embed again. */
  public Dataset<Row> sameTextRows(Dataset<Row> hashed) {
    Dataset<Row> stored = storedHashes();
    return hashed.join(stored,
        hashed.col(idCol).equalTo(stored.col(idCol)).and(ContentHash.sameTexts(hashed, stored, textCols)),
        "left_semi");
  }

  /** True when the output is a Delta table already. */
  public boolean tableExists() {
    return output != null && DeltaTable.isDeltaTable(spark, output);
  }

  private Dataset<Row> storedHashes() {
    Dataset<Row> existing = spark.read().format("delta").load(output);
    for (String c : textCols) {
      if (!Arrays.asList(existing.columns()).contains(ContentHash.column(c))) {
        throw new UsageException("Delta table " + output + " has no column " + ContentHash.column(c)
            + ", so changed rows cannot be told apart. It was not written by 'embed --id-col " + idCol
            + " --output-format delta'; rewrite it once with --mode overwrite and --id-col, then merge.");
      }
    }
    String[] keep = new String[textCols.size() + 1];
    keep[0] = idCol;
    for (int i = 0; i < textCols.size(); i++) {
      keep[i + 1] = ContentHash.column(textCols.get(i));
    }
    return existing.selectExpr(quoted(keep));
  }

  /** Upserts {@code embedded} (changed rows with vectors) by id; creates the table if needed. */
  public void upsert(Dataset<Row> embedded, Consumer<Dataset<Row>> create) {
    if (!tableExists()) {
      create.accept(embedded);
      return;
    }
    DeltaTable.forPath(spark, output).as("t")
        .merge(embedded.as("s"), "t.`" + idCol + "` = s.`" + idCol + "`")
        .whenMatched().updateAll()
        .whenNotMatched().insertAll()
        .execute();
  }

  /**
   * {@link #upsert} as the idempotent commit ({@code txnAppId}, {@code txnVersion}): Delta records
   * the pair in the same commit and skips a MERGE whose version it has already seen for the app id.
   * The table must exist.
   */
  public void upsertInTransaction(Dataset<Row> embedded, String txnAppId, long txnVersion) {
    inTransaction(txnAppId, txnVersion, () -> upsert(embedded, rows -> {
      throw new IllegalStateException("Delta table " + output + " vanished between two commits of " + txnAppId);
    }));
  }

  /**
   * Runs {@code command} (a MERGE on this table) as the idempotent commit ({@code txnAppId},
   * {@code txnVersion}): Delta records the pair in the same commit and skips the command when it
   * has already recorded that version (or a later one) for the app id.
   */
  public void inTransaction(String txnAppId, long txnVersion, Runnable command) {
    spark.conf().set(TXN_APP_ID, txnAppId);
    spark.conf().set(TXN_VERSION, String.valueOf(txnVersion));
    try {
      command.run();
    } finally {
      spark.conf().unset(TXN_APP_ID);
      spark.conf().unset(TXN_VERSION);
    }
  }

  /**
   * The rows of {@code rows}, after checking in one pass that {@code idCol} identifies each: a
   * merge keys on it, and two new rows with one id would both be inserted. {@code where} names
   * the rows in the message ("the input", "micro-batch 3").
   */
  public static long requireUniqueIds(Dataset<Row> rows, String idCol, String where) {
    // A null id counts as one distinct value, as DISTINCT does.
    Row counts = rows.agg(functions.count(functions.lit(1)), functions.countDistinct(rows.col(idCol)),
        functions.count(functions.when(rows.col(idCol).isNull(), 1))).first();
    long rowsIn = counts.getLong(0);
    long distinctIds = counts.getLong(1) + (counts.getLong(2) > 0 ? 1 : 0);
    if (distinctIds != rowsIn) {
      throw new UsageException("--mode merge needs a unique --id-col, but '" + idCol + "' has "
          + (rowsIn - distinctIds) + " duplicate value(s) in " + where + ". Deduplicate the input first.");
    }
    return rowsIn;
  }

  /**
   * Applies a change set in one Delta commit: {@code embedded} rows (new vectors) are upserted,
   * {@code sameText} rows (text unchanged, other columns perhaps changed) update every column but
   * {@code vectorCols}, and ids in {@code deletedIds} lose their row. {@code source} is the union
   * made by {@link #changeSet}.
   */
  public void applyChanges(Dataset<Row> source, List<String> written, List<String> vectorCols) {
    Map<String, String> all = new LinkedHashMap<>();
    Map<String, String> plain = new LinkedHashMap<>();
    for (String c : written) {
      all.put("`" + c + "`", "s.`" + c + "`");
      if (!vectorCols.contains(c)) {
        plain.put("`" + c + "`", "s.`" + c + "`");
      }
    }
    DeltaTable.forPath(spark, output).as("t")
        .merge(source.as("s"), "t.`" + idCol + "` = s.`" + idCol + "`")
        .whenMatched("s." + ACTION + " = '" + DELETE + "'").delete()
        .whenMatched("s." + ACTION + " = '" + COLUMNS + "'").updateExpr(plain)
        .whenMatched().updateExpr(all)
        .whenNotMatched("s." + ACTION + " = '" + EMBED + "'").insertExpr(all)
        .execute();
  }

  /** One source for {@link #applyChanges}: each row tagged with what the merge does with it. */
  public static Dataset<Row> changeSet(Dataset<Row> embedded, Dataset<Row> sameText, Dataset<Row> deletedIds) {
    return embedded.withColumn(ACTION, functions.lit(EMBED))
        .unionByName(sameText.withColumn(ACTION, functions.lit(COLUMNS)), true)
        .unionByName(deletedIds.withColumn(ACTION, functions.lit(DELETE)), true);
  }

  /** Rows of a change set per action: {embedded, columns only, deleted}. */
  public static long[] countActions(Dataset<Row> changeSet) {
    long[] out = new long[3];
    for (Row r : changeSet.groupBy(ACTION).count().collectAsList()) {
      int i = EMBED.equals(r.getString(0)) ? 0 : COLUMNS.equals(r.getString(0)) ? 1 : 2;
      out[i] = r.getLong(1);
    }
    return out;
  }

  private static String[] quoted(String[] cols) {
    String[] q = new String[cols.length];
    for (int i = 0; i < cols.length; i++) {
      q[i] = "`" + cols[i] + "`";
    }
    return q;
  }
}
