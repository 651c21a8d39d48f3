package io.gtespark.job.index;

import io.gtespark.job.cells.CellAssignment;
import io.gtespark.job.cells.CellSizes;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.functions;

/**
 * The row count of every cell of a build's vectors table, kept beside it ({@code _cell_sizes})
 * with the table version it counts and carried forward from the table's change data feed. An
 * update needs the sizes after its MERGE for the imbalance factor; counting the cell of every row
 * again is a scan of the whole table each update, while the feed of the update's own commits holds
 * only the rows it inserted and removed (Delta finds the removed ones while it merges). A missing,
 * unreadable or inconsistent ledger, or a feed that cannot be read, falls back to the full count.
 */
final class CellSizeLedger {
  /** The file's name in the build folder. */
  static final String FILE = "_cell_sizes";
  private static final int MAGIC = 0x47544331;

  private final SparkSession spark;
  private final String vectorsPath;
  private final int nlist;
  private final Path file;
  private final Configuration conf;

  CellSizeLedger(SparkSession spark, String vectorsPath, int nlist) {
    this.spark = spark;
    this.vectorsPath = vectorsPath;
    this.nlist = nlist;
    this.file = new Path(new Path(vectorsPath).getParent(), FILE);
    this.conf = spark.sparkContext().hadoopConfiguration();
  }

  /** The sizes at a version of the vectors table, and how they were found (for the log). */
  record Count(CellSizes sizes, long version, String how) { }

  /** The vectors table's latest version. */
  long latestVersion() {
    return DeltaLog.forTableWithSnapshot(spark, vectorsPath)._2().version();
  }

  /**
   * The cell sizes at the table's latest version: the recorded sizes plus the change feed of the
   * versions after them, or a count of every row's cell; recorded for the next update either way.
   */
  Count current() {
    long latest = latestVersion();
    Recorded recorded = read();
    Count count = null;
    String why;
    if (recorded == null) {
      why = "no sizes recorded";
    } else if (recorded.version > latest) {
      why = "sizes recorded at version " + recorded.version + ", after the table's " + latest;
    } else if (recorded.version == latest) {
      return new Count(recorded.sizes, latest, "as recorded at version " + latest);
    } else {
      why = null;
      try {
        CellSizes after = recorded.sizes.plus(change(recorded.version + 1, latest));
        if (after != null) {
          count = new Count(after, latest, "from the change feed of versions " + (recorded.version + 1) + " to "
              + latest);
        } else {
          why = "the change feed after version " + recorded.version + " removes more rows than a cell holds";
        }
      } catch (RuntimeException e) {
        // Not enabled for every version (an index built before the ledger), or its files vacuumed:
        // the full count is right either way, only slower.
        why = "the change feed after version " + recorded.version + " cannot be read ("
            + firstLine(e.getMessage()) + ")";
      }
    }
    if (count == null) {
      Dataset<Row> rows = spark.read().format("delta").option("versionAsOf", latest).load(vectorsPath);
      count = new Count(CellSizes.of(rows, nlist), latest, "counted in full: " + why);
    }
    record(count.version, count.sizes);
    return count;
  }

  /** Rows added minus rows removed, per cell, in versions {@code from..to} of the table's change feed. */
  private long[] change(long from, long to) {
    Dataset<Row> feed = spark.read().format("delta").option("readChangeFeed", "true")
        .option("startingVersion", from).option("endingVersion", to).load(vectorsPath);
    Dataset<Row> signed = feed.select(feed.col(CellAssignment.CELL),
        functions.when(feed.col("_change_type").isin("insert", "update_postimage"), 1L).otherwise(-1L).as("d"));
    long[] change = new long[nlist];
    for (Row r : signed.groupBy(CellAssignment.CELL).agg(functions.sum("d")).collectAsList()) {
      int cell = r.getInt(0);
      if (cell < 0 || cell >= nlist) {
        throw new IllegalStateException("cell " + cell + " of " + nlist);
      }
      change[cell] = r.getLong(1);
    }
    return change;
  }

  /** Records {@code sizes} as the table's at {@code version}: written beside the file, then renamed over it. */
  void record(long version, CellSizes sizes) {
    try {
      IndexManifest.replace(file, conf, staged -> {
        try (DataOutputStream out = staged.getFileSystem(conf).create(staged, true)) {
          out.writeInt(MAGIC);
          out.writeLong(version);
          out.writeInt(nlist);
          for (long n : sizes.perCell()) {
            out.writeLong(n);
          }
        }
      });
    } catch (IOException e) {
      throw new IllegalStateException("Cannot record the cell sizes of " + vectorsPath + " in " + file + ": "
          + e.getMessage(), e);
    }
  }

  private record Recorded(long version, CellSizes sizes) { }

  /** The recorded sizes, or null when there are none this ledger can use. */
  private Recorded read() {
    try (DataInputStream in = file.getFileSystem(conf).open(file)) {
      if (in.readInt() != MAGIC) {
        return null;
      }
      long version = in.readLong();
      if (in.readInt() != nlist) {
        return null;
      }
      long[] perCell = new long[nlist];
      for (int c = 0; c < nlist; c++) {
        perCell[c] = in.readLong();
      }
      return new Recorded(version, CellSizes.of(perCell));
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      return null; // a torn or foreign file: counted in full and written anew
    }
  }

  private static String firstLine(String s) {
    return s == null ? "no message" : s.lines().findFirst().orElse("");
  }
}
