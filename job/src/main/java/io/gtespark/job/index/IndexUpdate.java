package io.gtespark.job.index;

import io.delta.tables.DeltaTable;
import io.gtespark.job.cells.CellAssignment;
import io.gtespark.job.cells.CellSizes;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.embed.DeltaMerge;
import io.gtespark.job.io.DeltaSource;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.io.TableReader;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.vectors.VectorBlock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code index --update}: brings an index to its Delta source's latest version from the change
 * data feed after the version it records. New and changed rows go to their nearest existing cell,
 * deleted ids (and rows whose vector became null) leave, all in one MERGE into the vectors table,
 * committed as the idempotent transaction (this build, the source version): a rerun after a crash
 * between that commit and the manifest skips the MERGE and records the version. Cell groups the
 * updates have spread over many files are then rewritten ({@link IndexCompaction}). The cells stay
 * those of the build; the imbalance factor after the update says when they should be retrained.
 */
final class IndexUpdate {
  /** Column of the MERGE source: true for ids that leave the index. */
  private static final String REMOVE = "_gte_remove";

  private final SparkSession spark;
  private final String index;
  private final IndexManifest manifest;
  private final StageOptions options;
  private final String table;
  private DeltaSource source;
  private double imbalance = Double.NaN;

  IndexUpdate(SparkSession spark, String index, IndexManifest manifest, StageOptions options, String table) {
    if (manifest == null) {
      throw new UsageException("--output " + index + " holds no index to update (no " + IndexManifest.FILE + "). "
          + "Build it first: index --input TABLE --output " + index);
    }
    if (options.getInt("--compact-files") < 0) {
      throw new UsageException("--compact-files must be 0 (never rewrite a cell group) or a number of files, not "
          + options.get("--compact-files") + ".");
    }
    this.spark = spark;
    this.index = index;
    this.manifest = manifest;
    this.options = options;
    this.table = table;
  }

  /** The source as the index records it (or as --input names it). */
  String sourceName() {
    return options.get("--input") != null ? options.get("--input") : manifest.get("source");
  }

  /** The source version the index reflects after {@link #apply}. */
  long sourceVersion() {
    return source.version();
  }

  /** The cells' imbalance factor after {@link #apply}. */
  double imbalance() {
    return imbalance;
  }

  /** Whether the cells' imbalance after {@link #apply} exceeds {@code --retrain-if-imbalance}. */
  boolean willRetrain() {
    String limit = options.get("--retrain-if-imbalance");
    return limit != null && imbalance > options.getDouble("--retrain-if-imbalance");
  }

  /** Applies the changes and publishes the new manifest; returns what it records. */
  Map<String, Object> apply() {
    long t0 = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String input = sourceName();
    if ("none".equals(manifest.get("sourceVersion"))) {
      throw new UsageException("Index " + index + " was built from " + manifest.get("source") + ", which is not a "
          + "Delta table, so it has no change feed to follow. Build it anew with index --mode overwrite.");
    }
    InputFormat format = TableReader.formatOf(spark, input, InputFormat.parse(options.get("--format")));
    source = DeltaSource.of(spark, input, format);
    if (source == null) {
      throw new UsageException("--input " + input + " is not a Delta table; index --update follows the change feed "
          + "of the Delta table the index was built from (" + manifest.get("source") + ").");
    }
    String tableId = source.tableId();
    if (!tableId.equals(manifest.get("sourceTableId"))) {
      throw new UsageException("Index " + index + " was built from Delta table " + manifest.get("sourceTableId")
          + " (" + manifest.get("source") + "), but " + input + " is table " + tableId + ": another table, or the "
          + "same path deleted and created again. Build the index anew with index --mode overwrite.");
    }
    long from = manifest.getLong("sourceVersion");
    long to = source.version();
    if (to < from) {
      throw new UsageException("Index " + index + " reflects version " + from + " of " + input + ", but the table "
          + "is at version " + to + ": was it restored to an older version? Build the index anew with --mode "
          + "overwrite.");
    }
    LakeIndex lake = LakeIndex.open(spark, index);
    ModelIdentity theirs = OutputIdentity.read(spark, input);
    if (theirs != null && lake.identity() != null && !theirs.sameModel(lake.identity())) {
      throw new UsageException("The vectors of " + input + " are now made with " + theirs + ", but index " + index
          + " holds vectors of " + lake.identity() + "; scores between them are meaningless. Build the index anew "
          + "with index --mode overwrite.");
    }
    IndexStage.SourceColumns columns = IndexStage.SourceColumns.of(manifest);
    // Fails with a usage error naming the versions when the feed has a gap (not enabled, or cleaned up).
    Dataset<Row> changes = source.changesAfter(from, columns.idCol);
    String vectorsPath = manifest.vectors(index);
    long[] counted = {0, 0};
    int nlist = lake.cells().nlist();
    if (to > from) {
      counted = merge(changes, columns, lake, vectorsPath, to);
    }
    CellSizeLedger.Count count = new CellSizeLedger(spark, vectorsPath, nlist).current();
    CellSizes sizes = count.sizes();
    imbalance = sizes.imbalance();
    // After the MERGE and whether or not there was one: a rerun after a crash between the MERGE
    // and the manifest still rewrites what the first run left worn. Not when the cells are about
    // to be retrained: the new build replaces these files.
    IndexCompaction compaction = new IndexCompaction(spark, vectorsPath);
    List<IndexCompaction.GroupFiles> files = compaction.groups();
    int maxFiles = willRetrain() ? 0 : options.getInt("--compact-files");
    List<IndexCompaction.GroupFiles> rewritten = compaction.compact(files, maxFiles);
    if (!rewritten.isEmpty()) {
      files = compaction.groups();
    }
    Map<String, Object> recorded = new LinkedHashMap<>();
    manifest.values().forEach((k, v) -> {
      if (!k.equals("format")) {
        recorded.put(k, v);
      }
    });
    if (table != null) {
      recorded.put(IndexManifest.TABLE, table);
    }
    recorded.put("sourceVersion", to);
    recorded.put("rows", sizes.rows());
    recorded.putAll(sizes.figures());
    recorded.put("updatedAt", java.time.Instant.now().toString());
    recorded.put("updatedFromVersion", from);
    recorded.put("rowsUpserted", counted[0]);
    recorded.put("idsRemoved", counted[1]);
    recorded.put("groupsCompacted", rewritten.size());
    recorded.put("vectorFiles", IndexCompaction.files(files));
    IndexManifest.of(recorded).publish(index, conf);
    System.out.printf("index --update: versions %d to %d of %s: %d rows added or changed, %d ids removed; %d cell "
        + "groups rewritten as one file each (%d files now); %d rows in %d cells (sizes %s), imbalance %.4f "
        + "(%.1f s)%n", from, to, input, counted[0], counted[1], rewritten.size(), IndexCompaction.files(files),
        sizes.rows(), nlist, count.how(), imbalance, (System.nanoTime() - t0) / 1e9);
    return recorded;
  }

  /**
   * Whether ids of this type have a range that a literal can state and Delta keeps statistics of:
   * whole numbers, decimals, strings, dates and timestamps (not floating point, whose NaN and
   * -0.0 order apart from how they compare equal, nor nested types).
   */
  private static boolean rangeable(org.apache.spark.sql.types.DataType type) {
    return type.equals(DataTypes.LongType) || type.equals(DataTypes.IntegerType) || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType) || type instanceof org.apache.spark.sql.types.DecimalType
        || type instanceof org.apache.spark.sql.types.StringType
        || type instanceof org.apache.spark.sql.types.DateType
        || type instanceof org.apache.spark.sql.types.TimestampType;
  }

  /**
   * Turns on the change data feed of an index built before the cell sizes were carried forward
   * from it ({@link CellSizeLedger}); the builds since write their vectors table with it on.
   */
  private void keepChangeFeed(String vectorsPath, Row detail) {
    scala.collection.Map<String, String> properties = detail.getMap(detail.fieldIndex("properties"));
    scala.Option<String> feed = properties.get(IndexStage.CHANGE_FEED);
    if (feed.isEmpty() || !"true".equalsIgnoreCase(feed.get())) {
      spark.sql("ALTER TABLE delta.`" + vectorsPath + "` SET TBLPROPERTIES (" + IndexStage.CHANGE_FEED + " = true)");
    }
  }

  /**
   * One MERGE into the vectors table: the changed rows with a vector routed to their cells and
   * upserted by id, the deleted ids and the rows that lost their vector removed. Returns {rows
   * upserted, ids removed} as the change set counted them.
   */
  private long[] merge(Dataset<Row> feed, IndexStage.SourceColumns columns, LakeIndex lake, String vectorsPath,
      long to) {
    // The feed is read once. The routed rows and the removed ids each read it (and so does the
    // check of the vectors' length, for a source that records no model), and reading it opens
    // every source file that a delete or update touched: Delta derives those changes from the
    // files and their deletion vectors, so a change spread over the table read the whole table
    // each time. What is kept is the change set only.
    Dataset<Row> changes = feed.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    try {
      return mergeOnce(changes, columns, lake, vectorsPath, to);
    } finally {
      changes.unpersist(false);
    }
  }

  /** {@link #merge} of a change set read once. */
  private long[] mergeOnce(Dataset<Row> changes, IndexStage.SourceColumns columns, LakeIndex lake,
      String vectorsPath, long to) {
    List<String> carried = new java.util.ArrayList<>(columns.carried);
    carried.add(DeltaSource.DELETED);
    VectorTable view = VectorTable.of(spark, changes, sourceName(), columns.idCol, columns.vectorCol, null, carried,
        () -> {
          throw new IllegalStateException("an index update reads vectors and embeds nothing");
        });
    Dataset<Row> rows = view.rows();
    Column leaves = rows.col(DeltaSource.DELETED).or(rows.col(VectorTable.VECTOR).isNull());
    Dataset<Row> staying = rows.filter(functions.not(leaves)).drop(DeltaSource.DELETED);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VectorBlock> centroids = jsc.broadcast(lake.cells().block());
    Broadcast<int[]> groupOf = jsc.broadcast(lake.cells().groupOf());
    Dataset<Row> routed = new CellAssignment(centroids, groupOf).assign(staying);
    Dataset<Row> removed = rows.filter(leaves).select(rows.col(VectorTable.ID).as(CellAssignment.ID));
    Dataset<Row> changeSet = routed.withColumn(REMOVE, functions.lit(false))
        .unionByName(removed.withColumn(REMOVE, functions.lit(true)), true)
        .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    try {
      // The ids' range in Spark's own order of the id type (not Java's: strings compare differently).
      Column id = functions.col(CellAssignment.ID);
      Row stats = changeSet.agg(functions.sum(functions.when(functions.col(REMOVE), 0L).otherwise(1L)),
          functions.sum(functions.when(functions.col(REMOVE), 1L).otherwise(0L)), functions.min(id),
          functions.max(id)).first();
      long[] counted = {stats.isNullAt(0) ? 0 : stats.getLong(0), stats.isNullAt(1) ? 0 : stats.getLong(1)};
      Object lowest = stats.get(2);
      Object highest = stats.get(3);
      Column t = functions.col("t.`" + CellAssignment.ID + "`");
      Column matches = t.equalTo(functions.col("s.`" + CellAssignment.ID + "`"));
      if (lowest != null && highest != null && rangeable(changeSet.schema().apply(CellAssignment.ID).dataType())) {
        // Implied by the equality, but a condition on the target alone is what Delta's data
        // skipping can test against each file's id statistics: new ids above all the indexed
        // ones (a growing key) make the MERGE's search for matches skip every existing file.
        matches = matches.and(t.between(functions.lit(lowest), functions.lit(highest)));
      }
      Map<String, String> all = new LinkedHashMap<>();
      for (String c : routed.columns()) {
        all.put("`" + c + "`", "s.`" + c + "`");
      }
      Row detail = DeltaTable.forPath(spark, vectorsPath).detail().first();
      keepChangeFeed(vectorsPath, detail);
      String appId = "gte-index:" + detail.getString(detail.fieldIndex("id"));
      Column condition = matches;
      new DeltaMerge(spark, vectorsPath, CellAssignment.ID, List.of()).inTransaction(appId, to, () ->
          DeltaTable.forPath(spark, vectorsPath).as("t")
              .merge(changeSet.as("s"), condition)
              .whenMatched("s." + REMOVE).delete()
              .whenMatched().updateExpr(all)
              .whenNotMatched("NOT s." + REMOVE).insertExpr(all)
              .execute());
      return counted;
    } finally {
      changeSet.unpersist(false);
    }
  }
}
