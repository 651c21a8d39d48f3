package io.gtespark.job.embed;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cli.UsageException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code --mode merge}: embeds only the input rows whose id is new to the Delta table or whose
 * text hash differs from the stored one, and upserts them in one Delta commit. Re-running a
 * finished merge embeds nothing.
 */
public final class DeltaMerge {
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
    if (output == null || !DeltaTable.isDeltaTable(spark, output)) {
      return hashed;
    }
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
    Dataset<Row> stored = existing.selectExpr(quoted(keep));
    return hashed.join(stored,
        hashed.col(idCol).equalTo(stored.col(idCol)).and(ContentHash.sameTexts(hashed, stored, textCols)),
        "left_anti");
  }

  /** Upserts {@code embedded} (changed rows with vectors) by id; creates the table if needed. */
  public void upsert(Dataset<Row> embedded, Consumer<Dataset<Row>> create) {
    if (output == null || !DeltaTable.isDeltaTable(spark, output)) {
      create.accept(embedded);
      return;
    }
    DeltaTable.forPath(spark, output).as("t")
        .merge(embedded.as("s"), "t.`" + idCol + "` = s.`" + idCol + "`")
        .whenMatched().updateAll()
        .whenNotMatched().insertAll()
        .execute();
  }

  private static String[] quoted(String[] cols) {
    String[] q = new String[cols.length];
    for (int i = 0; i < cols.length; i++) {
      q[i] = "`" + cols[i] + "`";
    }
    return q;
  }
}
