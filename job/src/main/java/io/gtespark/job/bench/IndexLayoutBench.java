package io.gtespark.job.bench;

import io.gtespark.job.cells.CellAssignment;
import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cells.Cells;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.index.IndexStage;
import io.gtespark.job.index.LakeIndex;
import io.gtespark.job.index.ProbedCellFilter;
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.job.vectors.TileRouting;
import io.gtespark.udf.vectors.VectorBlock;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code bench --index INDEX}: the index's layout (the vectors partitioned by cell group, one file
 * a group, rows sorted by cell) against Delta's liquid clustering of the same rows, by cell and by
 * cell group (CLUSTER BY, then OPTIMIZE, with files of the same average size). Each layout is
 * written from the index's current vectors and timed; then the rows of the cells that three query
 * sets probe (one query, ten queries of one cell, a thousand random rows of the index used as
 * queries) are read from each, filtered as a search would filter that layout, and the files and
 * bytes the scans selected (Delta's partition pruning and data skipping) and the median read time
 * are reported. The copies live under {@code INDEX/_gte_bench_layout} and are deleted at the end.
 */
final class IndexLayoutBench {
  private static final String SCRATCH = "_gte_bench_layout";

  private IndexLayoutBench() {}

  /** How a search filters a layout: the index's own by group and cell ranges, a clustered one by its key. */
  private enum ReadBy { PROBED_CELLS, CELL, GROUP }

  /** One layout of the same rows: its table, how long it took to write, and how it is read. */
  private record Layout(String name, String path, double writeSeconds, ReadBy readBy) {}

  /** A set of queries' probed cells and the groups those cells are in. */
  private record ProbeSet(String name, int queries, Integer[] cells, Integer[] groups) {}

  /** Compares the layouts of index {@code indexName} for queries probing {@code asked} cells (0: as a search would). */
  static Map<String, Object> run(SparkSession spark, String indexName, int asked, int runs, int warmup, long seed) {
    if (asked < 0) {
      throw new UsageException("bench --index needs --nprobe auto or >= 1.");
    }
    LakeIndex index = LakeIndex.open(spark, indexName);
    String vectors = index.manifest().vectors(index.path());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String scratch = new Path(index.path(), SCRATCH).toString();
    IndexStage.delete(scratch, conf);
    Cells cells = index.cells();
    int nprobe = CellSettings.probesOfIndex(asked, cells.nlist());
    Map<String, Object> report = new LinkedHashMap<>();
    try {
      Row detail = spark.sql("DESCRIBE DETAIL delta.`" + vectors + "`").first();
      long bytes = detail.getAs("sizeInBytes");
      long files = detail.getAs("numFiles");
      // Clustered files of the index's average file size, so that the layouts differ in which rows a
      // file holds, not in how many files there are.
      long fileBytes = Math.max(1 << 20, bytes / Math.max(1, files));
      spark.conf().set("spark.databricks.delta.optimize.maxFileSize", String.valueOf(fileBytes));
      List<Layout> layouts = new ArrayList<>();
      layouts.add(partitioned(spark, vectors, new Path(scratch, "partitioned").toString(), cells.groups(),
          IndexStage.rowGroupRows(index.rows(), cells.nlist())));
      layouts.add(clustered(spark, vectors, new Path(scratch, "clustered-by-cell").toString(), CellAssignment.CELL));
      layouts.add(clustered(spark, vectors, new Path(scratch, "clustered-by-group").toString(),
          CellAssignment.CELL_GROUP));
      List<ProbeSet> probes = probeSets(spark, vectors, cells, nprobe, seed);

      System.out.printf("%nbench --index %s: %,d rows, %,d cells in %d groups, nprobe %d, %d files of %.1f MB%n",
          index.path(), index.rows(), cells.nlist(), cells.groups(), nprobe, files, bytes / 1e6);
      System.out.printf("%-20s %8s %8s %-26s %8s %8s %10s %8s %8s %9s%n", "layout", "write s", "files",
          "probe set", "cells", "rows", "files read", "MB files", "MB read", "read s");
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Layout layout : layouts) {
        long layoutFiles = spark.sql("DESCRIBE DETAIL delta.`" + layout.path + "`").first().getAs("numFiles");
        for (ProbeSet probe : probes) {
          Map<String, Object> r = read(spark, layout, probe, cells, runs, warmup);
          r.put("layout", layout.name);
          r.put("writeSeconds", layout.writeSeconds);
          r.put("layoutFiles", layoutFiles);
          r.put("probeSet", probe.name);
          r.put("queries", probe.queries);
          r.put("cellsProbed", probe.cells.length);
          r.put("groupsProbed", probe.groups.length);
          rows.add(r);
          System.out.printf("%-20s %8.1f %8d %-26s %8d %8s %10s %8.1f %8.1f %9.2f%n", layout.name,
              layout.writeSeconds, layoutFiles, probe.name, probe.cells.length, r.get("rowsRead"),
              r.get("filesScanned"), ((Number) r.get("fileBytesScanned")).longValue() / 1e6,
              ((Number) r.get("bytesRead")).longValue() / 1e6, (Double) r.get("readSeconds"));
        }
      }
      report.put("index", index.path());
      report.put("rows", index.rows());
      report.put("nlist", cells.nlist());
      report.put("groups", cells.groups());
      report.put("nprobe", nprobe);
      report.put("files", files);
      report.put("bytes", bytes);
      report.put("results", rows);
      return report;
    } finally {
      spark.conf().unset("spark.databricks.delta.optimize.maxFileSize");
      IndexStage.delete(scratch, conf);
    }
  }

  /**
   * The index's own layout, written again from its vectors as the build writes it (row groups of
   * {@code rowGroupRows}, set for this write only), and timed.
   */
  private static Layout partitioned(SparkSession spark, String vectors, String path, int groups, long rowGroupRows) {
    long t0 = System.nanoTime();
    // A session setting reaches the Parquet writer's Hadoop configuration, as the index's table property does.
    spark.conf().set(IndexStage.ROW_GROUP_ROWS, String.valueOf(rowGroupRows));
    try {
      IndexStage.laidOut(spark.read().format("delta").load(vectors), groups)
          .write().format("delta").partitionBy(CellAssignment.CELL_GROUP).save(path);
    } finally {
      spark.conf().unset(IndexStage.ROW_GROUP_ROWS);
    }
    return new Layout("partitioned by group", path, (System.nanoTime() - t0) / 1e9, ReadBy.PROBED_CELLS);
  }

  /** The same rows as a liquid-clustered table (CREATE ... CLUSTER BY, then OPTIMIZE), timed together. */
  private static Layout clustered(SparkSession spark, String vectors, String path, String column) {
    long t0 = System.nanoTime();
    spark.sql("CREATE TABLE delta.`" + path + "` USING delta CLUSTER BY (" + column + ") AS SELECT * FROM delta.`"
        + vectors + "`");
    spark.sql("OPTIMIZE delta.`" + path + "`").collectAsList();
    boolean byCell = column.equals(CellAssignment.CELL);
    return new Layout(byCell ? "clustered by cell" : "clustered by group", path, (System.nanoTime() - t0) / 1e9,
        byCell ? ReadBy.CELL : ReadBy.GROUP);
  }

  /**
   * One query, ten queries of one cell, and a thousand random rows, each routed to its
   * {@code nprobe} nearest cells (the index's rows are unit vectors, as queries are).
   */
  private static List<ProbeSet> probeSets(SparkSession spark, String vectors, Cells cells, int nprobe, long seed) {
    Dataset<Row> table = spark.read().format("delta").load(vectors)
        .select(CellAssignment.CELL, CellAssignment.VECTOR);
    List<Row> random = table.orderBy(functions.rand(seed)).limit(1000).collectAsList();
    int cell = random.get(0).getInt(0);
    List<Row> topic = table.where(functions.col(CellAssignment.CELL).equalTo(cell)).limit(10).collectAsList();
    return List.of(probeSet("1 query", random.subList(0, 1), cells, nprobe),
        probeSet(topic.size() + " queries of one cell", topic, cells, nprobe),
        probeSet(random.size() + " random queries", random, cells, nprobe));
  }

  private static ProbeSet probeSet(String name, List<Row> queries, Cells cells, int nprobe) {
    List<Object> ids = new ArrayList<>(queries.size());
    List<float[]> vectors = new ArrayList<>(queries.size());
    for (Row q : queries) {
      ids.add(ids.size());
      vectors.add(VectorRows.unit(q, 1));
    }
    TreeSet<Integer> probed = new TreeSet<>();
    TileRouting.forEach(List.of(VectorBlock.of(ids, vectors)).iterator(), cells.block(), nprobe,
        (block, first, count, nearest, router) -> {
          for (int i = 0; i < count; i++) {
            for (int cell : nearest[i]) {
              probed.add(cell);
            }
          }
        });
    TreeSet<Integer> groups = new TreeSet<>();
    probed.forEach(c -> groups.add(cells.groupOf()[c]));
    return new ProbeSet(name, queries.size(), probed.toArray(new Integer[0]), groups.toArray(new Integer[0]));
  }



  /**
   * Reads the probed cells' rows of one layout as a search filters it (the index's own layout by
   * cell group and cell ranges, {@link ProbedCellFilter}; the clustered ones by cell or by group);
   * the median seconds of {@code runs}, what the last run's scans selected and what its tasks read
   * (Spark's input metrics: run with {@code spark.hadoop.parquet.hadoop.vectored.io.enabled=false},
   * as they do not see Parquet's vectored reads).
   */
  private static Map<String, Object> read(SparkSession spark, Layout layout, ProbeSet probe, Cells cells, int runs,
      int warmup) {
    Dataset<Row> table = spark.read().format("delta").load(layout.path);
    Column filter = switch (layout.readBy) {
      case PROBED_CELLS -> ProbedCellFilter.of(
          java.util.Arrays.stream(probe.cells).mapToInt(Integer::intValue).toArray(), cells.groupOf());
      case CELL -> functions.col(CellAssignment.CELL).isin((Object[]) probe.cells);
      case GROUP -> functions.col(CellAssignment.CELL_GROUP).isin((Object[]) probe.groups);
    };
    List<Double> seconds = new ArrayList<>();
    RunMetrics costs = null;
    long rowsRead = 0;
    for (int r = 0; r < warmup + runs; r++) {
      JobCosts listening = JobCosts.start(spark.sparkContext());
      long t0 = System.nanoTime();
      // The sum reads every vector (Parquet cannot read one element of an array column).
      Row out = table.where(filter).agg(functions.count(functions.lit(1)),
          functions.sum(functions.element_at(functions.col(CellAssignment.VECTOR), 1))).first();
      double s = (System.nanoTime() - t0) / 1e9;
      costs = RunMetrics.forStage("bench");
      listening.stopInto(costs);
      rowsRead = out.getLong(0);
      if (r >= warmup) {
        seconds.add(s);
      }
    }
    seconds.sort(Double::compare);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("rowsRead", rowsRead);
    r.put("filesScanned", costs.values().get("filesScanned"));
    r.put("fileBytesScanned", costs.values().get("fileBytesScanned"));
    r.put("bytesRead", costs.values().get("inputBytesRead"));
    r.put("readSeconds", seconds.get(seconds.size() / 2));
    r.put("readSecondsRuns", seconds);
    return r;
  }

}
