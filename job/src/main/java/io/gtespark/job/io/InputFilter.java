package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code --where}: a SQL predicate on the input, applied where the input is read so that Spark
 * prunes partitions and pushes the filter into the file reader (a daily job reads only its day).
 */
public final class InputFilter {
  private static final Pattern PUSHED = Pattern.compile("(PartitionFilters|PushedFilters|DataFilters): \\[([^\\]]*)\\]");

  private InputFilter() {}

  /** {@code input} filtered by {@code predicate}; a usage error when it is not a predicate over the input. */
  public static Dataset<Row> apply(Dataset<Row> input, String predicate) {
    try {
      return input.where(predicate);
    } catch (Exception e) {
      if (!(e instanceof AnalysisException)) { // parse errors are AnalysisExceptions too
        throw e;
      }
      throw new UsageException("--where \"" + predicate + "\" is not a predicate over the input's columns "
          + TableReader.columns(input.schema()) + ": " + firstLine(e.getMessage()));
    }
  }

  /** What the file scan was given: partition filters and filters pushed into the reader, as Spark plans them. */
  public static List<String> pushedDown(Dataset<Row> filtered) {
    List<String> out = new ArrayList<>();
    Matcher m = PUSHED.matcher(filtered.queryExecution().executedPlan().toString());
    while (m.find()) {
      if (!m.group(2).isBlank() && !m.group(1).equals("DataFilters")) {
        out.add(m.group(1) + ": " + m.group(2));
      }
    }
    return out;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
