package io.gtespark.job.index;

import io.gtespark.job.Stage;
import io.gtespark.job.cells.CellAssignment;
import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cells.CellTraining;
import io.gtespark.job.cells.CellSizes;
import io.gtespark.job.cells.Cells;
import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.DeltaSource;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.io.TableWriter;
import io.gtespark.job.metrics.JobCosts;
import io.gtespark.job.metrics.MemoryProbe;
import io.gtespark.job.metrics.RunMetrics;
import io.gtespark.job.vectors.UnitVectorBlocks;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.vectors.VectorBlock;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;


/**
 * {@code index}: builds a vector index that lives in the lake from an embedded table. The cells
 * are trained as {@code similarity --approx} trains them (spherical k-means on a sample, about
 * 4·√N of them); then {@code INDEX/build-N/vectors} holds every row's id, cell, cell group, unit
 * vector and the {@code --with} columns as a Delta table partitioned by cell group, so that
 * reading a few cells reads a few folders, and {@code INDEX/build-N/centroids} the cells. A build
 * becomes current when {@code INDEX/_gte_index.json} ({@link IndexManifest}) names it, with the
 * model, the source table's id and the version the index reflects, and the cells' sizes.
 */
public final class IndexStage implements Stage {
  /** Table properties of an index's tables, beside the model identity. */
  static final String PROPERTY_PREFIX = "gte.index.";

  @Override
  public String name() {
    return "index";
  }

  @Override
  public String summary() {
    return "Builds a vector index as Delta tables from an embedded table: k-means cells, the vectors laid out by "
        + "cell group, and a manifest recording the model and the source version it reflects.";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.optional("--input", "spark.gte.index.input", null,
            "embedded table to index (a path or a catalog name); --update reads the one the index records"),
        OptionSpec.optional("--format", "spark.gte.input.format", "auto", "input format"),
        OptionSpec.optional("--id-col", "spark.gte.idCol", "id", "id column: unique, it names a row in updates"),
        OptionSpec.optional("--vector-col", "spark.gte.vectorCol", "embedding", "vector column"),
        OptionSpec.repeatable("--with", "spark.gte.index.with", false,
            "a column stored beside each vector and returned with search results (repeat or comma-separate)"),
        OptionSpec.optional("--nlist", "spark.gte.index.nlist", "auto",
            "cells: auto (about 4 x sqrt(rows), as similarity --approx) or a number"),
        OptionSpec.optional("--train-sample", "spark.gte.index.trainSample", "auto",
            "rows the cells are trained on: auto (40 per cell, at least 10,000) or a number"),
        OptionSpec.optional("--train-iter", "spark.gte.index.trainIter", "3",
            "k-means iterations when training the cells (it stops earlier once no centroid moves)"),
        OptionSpec.optional("--seed", "spark.gte.index.seed", "42", "seed of the training sample and the cells"),
        OptionSpec.optional("--group-rows", "spark.gte.index.groupRows", "auto",
            "about this many rows a cell group (a folder and file of the vectors table): auto (2,048, or rows/1,024 "
            + "when more, so at most about 1,024 groups) or a number; a group is at least one cell"),
        OptionSpec.optional("--output", "spark.gte.output", null, "index folder (or --output-table)"),
        OptionSpec.optional("--output-table", "spark.gte.index.table", null,
            "register the index in the session catalog under this name (a view of its current vectors that search, "
            + "update and gte_search accept for the folder); without --output the folder is the name's place in its "
            + "database's location"),
        OptionSpec.flag("--update", "spark.gte.index.update", "bring the index up to its source's latest version: "
            + "the change data feed since the recorded version, routed to the existing cells, in one Delta commit"),
        OptionSpec.optional("--compact-files", "spark.gte.index.compactFiles", "8",
            "with --update: rewrite cell groups with more than this many files (each update adds one to most groups) or "
            + "a tenth of their rows deleted, each as one file sorted by cell, at most 1/this of the groups an update, "
            + "the most worn first; 0 never"),
        OptionSpec.optional("--retrain-if-imbalance", "spark.gte.index.retrainIfImbalance", null,
            "with --update: build the index anew (a new build, switched in one step) when the cells' imbalance "
            + "factor k*sum(n_i^2)/N^2 exceeds this; default never"),
        OptionSpec.optional("--mode", "spark.gte.output.mode", "error",
            "error (refuse an existing index) or overwrite (build anew; the new build replaces the old in one step)"));
  }

  @Override
  public void run(SparkSession spark, StageOptions options) {
    long start = System.nanoTime();
    String table = options.get("--output-table");
    String index = options.get("--output");
    if (table != null) {
      String folder = CatalogIndex.folderFor(spark, table);
      if (index == null) {
        index = folder;
      } else if (!CatalogIndex.qualified(spark, index).equals(CatalogIndex.qualified(spark, folder))
          && CatalogIndex.registeredRoot(spark, table) != null) {
        throw new UsageException("--output-table " + table + " already names the index in " + folder + ", not --output "
            + index + ". Drop the view (DROP VIEW " + table + ") to move it, or leave out --output.");
      }
    }
    if (index == null) {
      throw new UsageException("index needs --output (the folder the index is written to) or --output-table (a "
          + "catalog name for it).");
    }
    BuildSettings settings = BuildSettings.from(options);
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    IndexManifest previous = IndexManifest.read(index, conf);
    // The catalog name the index goes by: the one given, else the one its manifest records (a
    // rebuild or update by folder then moves that name to the new build too).
    String name = table != null ? table : previous == null ? null : previous.get(IndexManifest.TABLE);
    JobCosts costs = JobCosts.start(spark.sparkContext());
    RunMetrics metrics = RunMetrics.forStage("index");
    Map<String, Object> recorded;
    if (options.isOn("--update")) {
      IndexUpdate update = new IndexUpdate(spark, index, previous, options, name);
      recorded = update.apply();
      recorded.forEach((k, v) -> metrics.put("update." + k, v));
      if (update.willRetrain()) {
        System.out.printf("index --update: imbalance %.4f is above --retrain-if-imbalance %s: building the index "
            + "anew from %s at version %d%n", update.imbalance(), options.get("--retrain-if-imbalance"),
            update.sourceName(), update.sourceVersion());
        recorded = build(spark, index, IndexManifest.read(index, conf), settings, update.sourceName(),
            options.get("--format"), SourceColumns.of(previous), name, conf);
        metrics.put("retrained", true);
      } else {
        metrics.put("retrained", false);
      }
    } else {
      OutputMode mode = OutputMode.parse(options.get("--mode"));
      if (mode != OutputMode.ERROR && mode != OutputMode.OVERWRITE) {
        throw new UsageException("index builds with --mode error or overwrite, not " + options.get("--mode")
            + " (an index is kept in step with its source by index --update).");
      }
      refuseExisting(spark, index, previous, mode, conf);
      if (options.get("--input") == null) {
        throw new UsageException("index needs --input: the embedded table to index.");
      }
      recorded = build(spark, index, previous, settings, options.get("--input"), options.get("--format"),
          SourceColumns.of(options), name, conf);
    }
    // After the manifest: the name never points at a build that is not current.
    String vectors = IndexManifest.read(index, conf).vectors(index);
    if (table != null) {
      CatalogIndex.register(spark, table, index, vectors);
      System.out.printf("index: registered as %s (a view of build %s's vectors)%n", table, recorded.get("build"));
      metrics.put("table", table);
    } else if (name != null) {
      if (CatalogIndex.moveIfRegistered(spark, name, index, vectors)) {
        System.out.printf("index: %s now reads build %s's vectors%n", name, recorded.get("build"));
        metrics.put("table", name);
      } else {
        System.out.printf("index: the index records the catalog name %s, which this session's catalog does not give "
            + "to it; register it again with --output-table %s%n", name, name);
      }
    }
    recorded.forEach(metrics::put);
    metrics.put("rowsOut", recorded.get("rows"))
        .put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0)
        .put("driverPeakRssMiB", MemoryProbe.peakRssMiB());
    costs.stopInto(metrics);
    metrics.writeTo(index, conf);
  }

  /**
   * Trains the cells on {@code input} (at its latest version when it is Delta), writes a new
   * build's tables and makes it current; returns what the manifest records ({@code catalogName}:
   * the name the index goes by in the catalog, or null).
   */
  static Map<String, Object> build(SparkSession spark, String index, IndexManifest previous, BuildSettings settings,
      String input, String formatOption, SourceColumns columns, String catalogName, Configuration conf) {
    InputFormat format = TableReader.formatOf(spark, input, InputFormat.parse(formatOption));
    // A Delta source is read at one version, which the index then records: an update reads the
    // change feed from exactly there.
    DeltaSource source = DeltaSource.of(spark, input, format);
    Dataset<Row> df = source != null ? source.snapshot() : TableReader.read(spark, input, format);
    String vectorCol = columns.vectorCol;
    if (!Arrays.asList(df.columns()).contains(vectorCol)) {
      throw new UsageException("Input " + input + " has no vector column '" + vectorCol + "' (its columns are "
          + Arrays.asList(df.columns()) + "): index an embedded table (the embed stage's output), naming its vectors "
          + "with --vector-col.");
    }
    List<String> carried = columns.carried;
    VectorTable table = VectorTable.of(spark, df, input, columns.idCol, vectorCol, null, carried, () -> {
      throw new IllegalStateException("an index reads vectors and embeds nothing");
    });
    ModelIdentity identity = table.identity();

    Dataset<Row> withVectors = table.withVectors();
    CellSettings ivf = new CellSettings(settings.nlist, 1, settings.trainSample, settings.iterations, settings.seed,
        4096, 1);
    // Without carried columns the table is read once, as --approx reads it: its unit vectors are
    // cached as blocks (counting the rows with and without a vector on the way), the cells are
    // trained on a sample of the cache and every row is routed from it. Carried columns are not in
    // the blocks, so a table with --with columns is counted, sampled and read again to be routed.
    UnitVectorBlocks corpus = carried.isEmpty() ? UnitVectorBlocks.cache(table.rows()) : null;
    try {
      long rows = corpus != null ? corpus.rows() + corpus.nullRows() : table.rows().count();
      if (corpus != null && corpus.rows() == 0) {
        throw new UsageException("Input " + input + " has no rows with a vector: there is nothing to index. Embed "
            + "the table first, or check --vector-col.");
      }
      CellTraining training = corpus != null ? CellTraining.ofBlocks(corpus, ivf)
          : CellTraining.ofRows(withVectors, rows, ivf);
      Cells cells = grouped(training, rows, settings);
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<VectorBlock> centroidBlock = jsc.broadcast(cells.block());
      Broadcast<int[]> groupOf = jsc.broadcast(cells.groupOf());

      int build = previous == null ? 1 : previous.build() + 1;
      String folder = IndexManifest.buildFolder(index, build);
      delete(folder, conf); // what a build that crashed before its manifest left behind
      String vectorsPath = new Path(folder, "vectors").toString();
      String centroidsPath = new Path(folder, "centroids").toString();
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put(PROPERTY_PREFIX + "build", String.valueOf(build));
      properties.put(PROPERTY_PREFIX + "nlist", String.valueOf(cells.nlist()));
      properties.put(PROPERTY_PREFIX + "source", input);
      properties.put(PROPERTY_PREFIX + "sourceVersion", source == null ? "none" : String.valueOf(source.version()));
      // An update deletes and replaces a few rows in most groups: with deletion vectors it marks them
      // and writes only the new rows, instead of rewriting every group file that holds one of them.
      properties.put("delta.enableDeletionVectors", "true");
      // An update carries the cell sizes forward from the feed of its own commits (CellSizeLedger)
      // instead of counting every row's cell again.
      properties.put(CHANGE_FEED, "true");
      // Parquet tries a dictionary for every column chunk first; float vectors never fit one, so the
      // writer hashed 38 million floats to fall back to plain encoding anyway (the sort-and-write job
      // of a 100k build took 8.5 s with it, 5.2 s without; the files are the same size). Delta hands
      // table properties to the Parquet writer, so updates write the vectors the same way.
      properties.put("parquet.enable.dictionary#" + CellAssignment.VECTOR + ".list.element", "false");

      // Parquet row groups of about a cell: a search filters on the cells it probes, and the reader
      // skips each row group whose cell statistics (min and max: the rows are sorted by cell) hold
      // none of them, so a query reads its cells' rows rather than their groups' whole files.
      properties.put(ROW_GROUP_ROWS, String.valueOf(rowGroupRows(rows, cells.nlist())));

      long t0 = System.nanoTime();
      CellAssignment assignment = new CellAssignment(centroidBlock, groupOf);
      Dataset<Row> assigned = corpus != null
          ? assignment.assign(spark, corpus.blocks(), withVectors.schema().apply(0).dataType())
          : assignment.assign(withVectors);
      // Each group's rows meet in one task and leave it sorted by cell: a group is one file (not one
      // per input partition, which wrote 1,666 small files for 49 groups at 100k rows and spent most
      // of the build opening them), and within it a cell's rows are contiguous, so Parquet's row
      // group statistics on cell let a reader of a few cells skip the rest of a large group.
      new TableWriter(spark, vectorsPath, OutputFormat.DELTA, OutputMode.ERROR)
          .partitionBy(List.of(CellAssignment.CELL_GROUP)).withProperties(properties)
          .write(laidOut(assigned, cells.groups()), identity);
      Dataset<Row> written = spark.read().format("delta").load(vectorsPath);
      int nlist = cells.nlist();
      CellSizes sizes = CellSizes.of(written, nlist);
      CellSizeLedger ledger = new CellSizeLedger(spark, vectorsPath, nlist);
      ledger.record(ledger.latestVersion(), sizes);
      long distinctIds = written.select(CellAssignment.ID).distinct().count();
      if (distinctIds != sizes.rows()) {
        delete(folder, conf);
        throw new UsageException("Input " + input + " has " + (sizes.rows() - distinctIds) + " more rows with a vector "
            + "than distinct ids in --id-col '" + columns.idCol + "': an index names each row by its id (an "
            + "update replaces and deletes by id). Deduplicate the ids (or name a unique column) and build again.");
      }
      System.out.printf("index: %d rows routed to %d cells (cell groups: %d) and written in %.1f s%n", sizes.rows(),
          nlist, cells.groups(), (System.nanoTime() - t0) / 1e9);
      writeCentroids(spark, centroidsPath, cells, identity, properties);

      Map<String, Object> recorded = new LinkedHashMap<>();
      recorded.put("build", build);
      recorded.put("model", identity == null ? "unknown" : identity.toString());
      recorded.put("dimension", cells.dimension());
      recorded.put("source", input);
      recorded.put("sourceFormat", format.name().toLowerCase(java.util.Locale.ROOT));
      recorded.put("sourceTableId", source == null ? "none" : source.tableId());
      recorded.put("sourceVersion", source == null ? "none" : source.version());
      recorded.put("idCol", columns.idCol);
      recorded.put("vectorCol", vectorCol);
      recorded.put("with", String.join(",", carried));
      recorded.put("nlist", nlist);
      recorded.put("cellGroups", cells.groups());
      recorded.put("rows", sizes.rows());
      recorded.put("rowsWithoutVector", rows - sizes.rows());
      recorded.put("vectorFiles", IndexCompaction.files(new IndexCompaction(spark, vectorsPath).groups()));
      recorded.put("trainRows", training.trainRows());
      recorded.put("trainIterations", training.iterations());
      recorded.put("seed", settings.seed);
      recorded.putAll(sizes.figures());
      if (catalogName != null) {
        recorded.put(IndexManifest.TABLE, catalogName);
      }
      recorded.put("builtAt", java.time.Instant.now().toString());
      IndexManifest.of(recorded).publish(index, conf);
      // The build before the previous one goes; the previous one stays for readers that opened it.
      for (int old = build - 2; old >= 1; old--) {
        delete(IndexManifest.buildFolder(index, old), conf);
      }
      System.out.printf("index done: %d rows in %d cells (cell groups: %d; rows a cell %s to %s, imbalance %s), "
          + "build %d of %s, reflecting %s%s%n", sizes.rows(), nlist, cells.groups(), recorded.get("cellRowsMin"),
          recorded.get("cellRowsMax"), recorded.get("imbalance"), build, index, input,
          source == null ? "" : " at version " + source.version());
      return recorded;
    } finally {
      if (corpus != null) {
        corpus.release();
      }
    }
  }

  /** {@code rows} of a vectors table as the index writes them: a task a group, sorted by cell. */
  public static Dataset<Row> laidOut(Dataset<Row> rows, int groups) {
    return rows.repartition(groups, functions.col(CellAssignment.CELL_GROUP))
        .sortWithinPartitions(CellAssignment.CELL_GROUP, CellAssignment.CELL);
  }

  /** The Delta table property that keeps a table's change data feed. */
  static final String CHANGE_FEED = "delta.enableChangeDataFeed";

  /** Parquet's cap on the rows of a row group, which Delta hands its writer from the table's properties. */
  public static final String ROW_GROUP_ROWS = "parquet.block.row.count.limit";

  /**
   * Rows a Parquet row group of the vectors table holds: an average cell's, at least 16. Measured
   * at 100k rows (79 a cell): one query read 18% of the table's bytes with a row group a file, 8%
   * with a cell's rows and 7% with half a cell's, whose build wrote for a third longer.
   */
  public static long rowGroupRows(long rows, int nlist) {
    return Math.max(16, rows / Math.max(1, nlist));
  }

  /**
   * Cells trained as {@code similarity --approx} trains them ({@link CellTraining}), grouped by
   * k-means over the centroids into groups of about {@code groupRows} rows.
   */
  private static Cells grouped(CellTraining trained, long rows, BuildSettings settings) {
    long groupRows = settings.groupRows > 0 ? settings.groupRows : Math.max(2048, (rows + 1023) / 1024);
    Cells cells = trained.grouped((int) Math.min(Integer.MAX_VALUE, (rows + groupRows - 1) / groupRows), settings.seed);
    System.out.printf("index: %d cells trained on %d rows in %.1f s (%d iterations)%n", cells.nlist(),
        trained.trainRows(), trained.seconds(), trained.iterations());
    return cells;
  }


  /**
   * The centroids table: (cell, cell_group, centroid), one row a cell, fixed for the build (an
   * update routes new rows to these cells; the cells' sizes are the vectors table's counts).
   */
  private static void writeCentroids(SparkSession spark, String path, Cells cells, ModelIdentity identity,
      Map<String, String> properties) {
    new TableWriter(spark, path, OutputFormat.DELTA, OutputMode.ERROR).withProperties(properties)
        .write(spark.createDataFrame(cells.tableRows(), Cells.TABLE_SCHEMA).coalesce(1), identity);
  }

  /**
   * Refuses, before anything runs, an index folder that --mode error may not touch, and a folder
   * that holds something other than an index (overwrite would bury it).
   */
  private static void refuseExisting(SparkSession spark, String index, IndexManifest previous, OutputMode mode,
      Configuration conf) {
    boolean occupied = new TableWriter(spark, index, OutputFormat.DELTA, mode).exists();
    if (mode == OutputMode.ERROR && occupied) {
      throw new UsageException("Index " + index + (previous != null ? " already exists (build " + previous.build()
          + ")" : " is not empty") + ". Use --mode overwrite to build it anew, or choose another --output.");
    }
    if (previous == null && occupied && !onlyBuilds(index, conf)) {
      throw new UsageException("--output " + index + " holds files that are not an index; choose an empty or new "
          + "folder.");
    }
  }

  /** True when {@code index} holds nothing but build folders and index files (a crashed first build). */
  private static boolean onlyBuilds(String index, Configuration conf) {
    try {
      Path p = new Path(index);
      FileSystem fs = p.getFileSystem(conf);
      for (FileStatus s : fs.listStatus(p)) {
        String n = s.getPath().getName();
        if (!n.startsWith("build-") && !n.startsWith("_gte_") && !n.startsWith("." + IndexManifest.FILE)) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list " + index + ": " + e.getMessage(), e);
    }
  }

  /** Deletes {@code folder} and what it holds (a build, a scratch copy of one); nothing when it is absent. */
  public static void delete(String folder, Configuration conf) {
    try {
      Path p = new Path(folder);
      p.getFileSystem(conf).delete(p, true);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot delete " + folder + ": " + e.getMessage(), e);
    }
  }

  /** Which columns of the source an index holds: its ids, its vectors and the carried ones. */
  static final class SourceColumns {
    final String idCol;
    final String vectorCol;
    final List<String> carried;

    private SourceColumns(String idCol, String vectorCol, List<String> carried) {
      this.idCol = idCol;
      this.vectorCol = vectorCol;
      this.carried = List.copyOf(carried);
    }

    /** As the command line names them. */
    static SourceColumns of(StageOptions options) {
      return new SourceColumns(options.get("--id-col"), options.get("--vector-col"), options.getAll("--with"));
    }

    /** As an index records them. */
    static SourceColumns of(IndexManifest manifest) {
      String with = manifest.get("with");
      return new SourceColumns(manifest.get("idCol"), manifest.get("vectorCol"),
          with == null || with.isEmpty() ? List.of() : Arrays.asList(with.split(",")));
    }
  }

  /** The build options, checked. */
  static final class BuildSettings {
    final int nlist;
    final int trainSample;
    final int iterations;
    final long seed;
    final int groupRows;

    private BuildSettings(int nlist, int trainSample, int iterations, long seed, int groupRows) {
      this.nlist = nlist;
      this.trainSample = trainSample;
      this.iterations = iterations;
      this.seed = seed;
      this.groupRows = groupRows;
    }

    static BuildSettings from(StageOptions options) {
      int nlist = options.get("--nlist").equals("auto") ? 0 : options.getInt("--nlist");
      int trainSample = options.get("--train-sample").equals("auto") ? 0 : options.getInt("--train-sample");
      int iterations = options.getInt("--train-iter");
      int groupRows = options.get("--group-rows").equals("auto") ? 0 : options.getInt("--group-rows");
      if (nlist < 0 || trainSample < 0) {
        throw new UsageException("--nlist and --train-sample must be auto or positive.");
      }
      if (iterations < 1 || groupRows < 0) {
        throw new UsageException("--train-iter must be at least 1, and --group-rows auto or positive.");
      }
      return new BuildSettings(nlist, trainSample, iterations, options.getLong("--seed"), groupRows);
    }
  }
}
