package io.gtespark.job.embed;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The SHA-256 of each text column, stored next to its vector in Delta outputs with an id
 * column ({@code <col>_sha256}) so that {@code --mode merge} can tell changed rows from
 * unchanged ones without re-embedding anything.
 */
public final class ContentHash {
  private ContentHash() {}

  /** Name of the hash column of a text column. */
  public static String column(String textCol) {
    return textCol + "_sha256";
  }

  /** Names of the hash columns of {@code textCols}. */
  public static List<String> columns(List<String> textCols) {
    return textCols.stream().map(ContentHash::column).collect(java.util.stream.Collectors.toList());
  }

  /** {@code df} with a hash column per text column (null for null text). */
  public static Dataset<Row> withHashes(Dataset<Row> df, List<String> textCols) {
    Dataset<Row> out = df;
    for (String c : textCols) {
      out = out.withColumn(column(c), functions.sha2(functions.col(c), 256));
    }
    return out;
  }

  /** True when every hash column of {@code a} equals {@code b}'s (nulls equal to nulls). */
  public static Column sameTexts(Dataset<Row> a, Dataset<Row> b, List<String> textCols) {
    Column same = functions.lit(true);
    for (String c : textCols) {
      same = same.and(a.col(column(c)).eqNullSafe(b.col(column(c))));
    }
    return same;
  }
}
