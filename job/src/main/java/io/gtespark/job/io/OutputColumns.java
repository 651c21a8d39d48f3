package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * {@code --select}/{@code --drop}: which input columns travel to the output beside the vectors,
 * e.g. only the id, for a compact vector table joined back to its source by id. The text is read
 * for embedding either way; the id and the partition columns are kept because merges and
 * partitioned writes need them.
 */
public final class OutputColumns {
  private final List<String> inputColumns;

  private OutputColumns(List<String> inputColumns) {
    this.inputColumns = inputColumns;
  }

  /** The input columns to keep, checked against {@code schema}. */
  public static OutputColumns of(StructType schema, List<String> select, List<String> drop, String idCol,
      List<String> partitionBy) {
    List<String> all = Arrays.asList(schema.fieldNames());
    if (!select.isEmpty() && !drop.isEmpty()) {
      throw new UsageException("--select and --drop both choose the output's columns; give one of them.");
    }
    for (String c : select.isEmpty() ? drop : select) {
      if (!all.contains(c)) {
        throw new UsageException("Column '" + c + "' of " + (select.isEmpty() ? "--drop" : "--select")
            + " is not in the input. Its columns are " + all + ".");
      }
    }
    Set<String> keep = new LinkedHashSet<>(select.isEmpty() ? all : select);
    keep.removeAll(drop);
    for (String needed : idCol == null ? partitionBy : concat(List.of(idCol), partitionBy)) {
      if (!keep.contains(needed) && all.contains(needed)) {
        throw new UsageException("Column '" + needed + "' must stay in the output (it is the id or a partition "
            + "column); add it to --select or take it out of --drop.");
      }
    }
    for (String p : partitionBy) {
      if (!all.contains(p)) {
        throw new UsageException("Partition column '" + p + "' of --partition-by is not in the input. Its columns "
            + "are " + all + ".");
      }
    }
    return new OutputColumns(new ArrayList<>(keep));
  }

  /** The output's columns: the kept input columns, then {@code vectors} and {@code bookkeeping}. */
  public List<String> withVectors(List<String> vectors, List<String> bookkeeping) {
    Set<String> out = new LinkedHashSet<>(inputColumns);
    out.addAll(vectors);
    out.addAll(bookkeeping);
    return new ArrayList<>(out);
  }

  /** {@code rows} reduced to {@code columns}, in that order. */
  public static Dataset<Row> select(Dataset<Row> rows, List<String> columns) {
    return rows.select(columns.stream().map(c -> functions.col("`" + c.replace("`", "``") + "`"))
        .toArray(Column[]::new));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
