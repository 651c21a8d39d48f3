package io.gtespark.job.sql;

import io.gtespark.job.cells.CellSettings;
import io.gtespark.job.cli.EngineOptions;
import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.index.CatalogIndex;
import io.gtespark.job.index.IndexManifest;
import io.gtespark.job.index.IndexSearch;
import io.gtespark.job.index.LakeIndex;
import io.gtespark.job.similarity.IvfOptions;
import io.gtespark.job.search.SearchCache;
import io.gtespark.job.similarity.SimilarityStage;
import io.gtespark.job.vectors.VectorTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.FunctionTableSubqueryArgumentExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Function1;
import scala.Tuple3;
import scala.collection.immutable.Seq;

/**
 * The index's SQL table functions. {@code gte_search(index, query, k)} returns what
 * {@code similarity --index} writes for the same queries: query_id, doc_id, score, rank, then the
 * carried columns named by {@code spark.gte.similarity.with}. The query is a text (embedded with
 * the session's {@code spark.gte.*} model; its query_id is the text itself) or {@code TABLE(t)}, a
 * table of queries with an id and a vector or text column (the similarity stage's properties name
 * them). {@code gte_index_status(index)} returns the index's manifest as one row.
 *
 * <p>Analysis checks the arguments and columns and works out the schema; the queries are
 * embedded and the index searched when the rows are first read ({@link DeferredRows}), so
 * {@code EXPLAIN} or a schema request searches nothing. The found rows are kept on the executors
 * (a local checkpoint), so the broadcasts and caches the search used are freed at once and the
 * query can be read more than once without searching again.
 */
public final class IndexTableFunctions {
  /** Name of the search function. */
  public static final String SEARCH = "gte_search";
  /** Name of the status function. */
  public static final String STATUS = "gte_index_status";

  private IndexTableFunctions() {}

  /** {@code gte_search} as an injectable table function. */
  static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, LogicalPlan>> search() {
    return function(SEARCH, "_FUNC_(index, query [, k]) - the k rows of the index (a folder written by the index "
        + "stage) nearest the query: a text, embedded with the session's spark.gte.* model, or TABLE(queries) with "
        + "an id and a vector or text column. Columns: query_id, doc_id, score, rank, and the carried columns of "
        + "spark.gte.similarity.with. k defaults to spark.gte.similarity.topK; spark.gte.similarity.nprobe and "
        + "minScore apply as in similarity --index.", IndexTableFunctions::searchPlan);
  }

  /** {@code gte_index_status} as an injectable table function. */
  static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, LogicalPlan>> status() {
    return function(STATUS, "_FUNC_(index) - one row describing the index's current build: its model, rows, "
        + "cells, cell groups, imbalance factor, source table and version, and every value of its manifest.",
        IndexTableFunctions::statusPlan);
  }

  private static LogicalPlan searchPlan(List<Expression> args) {
    try {
      return searchPlanOf(args);
    } catch (UsageException e) {
      throw SqlUsage.inSqlTerms(e, new SimilarityStage().options());
    }
  }

  private static LogicalPlan searchPlanOf(List<Expression> args) {
    if (args.size() < 2 || args.size() > 3) {
      throw new UsageException(SEARCH + " takes (index, query text or TABLE(queries) [, k]), not " + args.size()
          + " argument" + (args.size() == 1 ? "" : "s") + ".");
    }
    SparkSession spark = SparkSession.active();
    String indexPath = stringArgument(args.get(0), "the index folder or name");
    StageOptions options = StageOptions.parse(SEARCH, new SimilarityStage().options(), new String[0],
        StageOptions.sessionProperties(spark));
    int k = args.size() == 3 ? intArgument(args.get(2), "k") : options.getInt("--top-k");
    if (k < 1) {
      throw new UsageException(SEARCH + ": k must be at least 1, not " + k + ".");
    }
    double minScore = options.get("--min-score") != null ? options.getDouble("--min-score")
        : Double.NEGATIVE_INFINITY;
    String vectorCol = options.get("--vector-col");
    List<String> carried = options.getAll("--with");
    CellSettings settings = IvfOptions.settings(options);
    // Analysis checks the arguments and the columns and works out the result's schema; the
    // queries are embedded and the index searched only when the rows are read (DeferredRows).
    LakeIndex index = LakeIndex.open(spark, indexPath);
    var spec = VectorTable.lazySpec(EngineOptions.settings(spark, options), spark);
    Supplier<VectorTable> queries;
    StructType schema;
    if (args.get(1) instanceof FunctionTableSubqueryArgumentExpression table) {
      Dataset<Row> rows = org.apache.spark.sql.classic.Dataset.ofRows(
          (org.apache.spark.sql.classic.SparkSession) spark, table.plan());
      String idCol = options.get("--query-id-col") != null ? options.get("--query-id-col") : options.get("--id-col");
      String textCol = options.get("--text-col") != null ? options.get("--text-col") : VectorTable.TEXT;
      String input = "the TABLE argument of " + SEARCH;
      VectorTable.requireColumns(Arrays.asList(rows.columns()), input, idCol, vectorCol, textCol);
      schema = index.resultSchema(rows.schema().apply(idCol).dataType(), carried);
      queries = () -> VectorTable.of(spark, rows, input, idCol, vectorCol, textCol, List.of(), spec);
    } else {
      String text = stringArgument(args.get(1), "the query text (or TABLE(queries))");
      schema = index.resultSchema(DataTypes.StringType, carried);
      queries = () -> VectorTable.of(spark, spark.createDataFrame(List.of(RowFactory.create(text, text)),
          new StructType().add(VectorTable.ID, DataTypes.StringType, false)
              .add(VectorTable.TEXT, DataTypes.StringType, false)), "the query of " + SEARCH, VectorTable.ID, vectorCol,
          VectorTable.TEXT, List.of(), spec);
    }
    DeferredRows found = new DeferredRows(spark.sparkContext(), () -> {
      try {
        return search(spark, index, queries.get(), carried, k, minScore, settings, schema);
      } catch (UsageException e) {
        throw SqlUsage.inSqlTerms(e, new SimilarityStage().options());
      }
    });
    return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(found, schema, false)
        .queryExecution().analyzed();
  }

  /**
   * Searches the index for the queries; the found rows, kept on the executors (a local
   * checkpoint) so that the broadcasts and caches the search used are freed at once.
   */
  private static RDD<InternalRow> search(SparkSession spark, LakeIndex index, VectorTable queries,
      List<String> carried, int k, double minScore, CellSettings settings, StructType schema) {
    SearchCache cache = new SearchCache();
    try {
      IndexSearch.Found found = IndexSearch.search(spark, index, queries, carried, k, minScore, settings, 0, cache,
          spark.sparkContext().longAccumulator("gte-search-pairs-scored"));
      if (!sameColumns(found.rows.schema(), schema)) {
        throw new IllegalStateException("gte_search made rows of " + found.rows.schema().simpleString()
            + " where its plan said " + schema.simpleString());
      }
      return found.rows.localCheckpoint(true, StorageLevel.MEMORY_AND_DISK()).queryExecution().toRdd();
    } finally {
      cache.release();
      queries.release();
    }
  }

  /** The same column names and types, in order (nullability aside). */
  private static boolean sameColumns(StructType a, StructType b) {
    if (a.fields().length != b.fields().length) {
      return false;
    }
    for (int i = 0; i < a.fields().length; i++) {
      if (!a.fields()[i].name().equals(b.fields()[i].name())
          || !a.fields()[i].dataType().sameType(b.fields()[i].dataType())) {
        return false;
      }
    }
    return true;
  }

  private static LogicalPlan statusPlan(List<Expression> args) {
    if (args.size() != 1) {
      throw new UsageException(STATUS + " takes one argument, the index folder or catalog name, not " + args.size() + ".");
    }
    SparkSession spark = SparkSession.active();
    String given = stringArgument(args.get(0), "the index folder or name");
    String path = CatalogIndex.resolve(spark, given);
    IndexManifest m = IndexManifest.read(path, spark.sparkContext().hadoopConfiguration());
    if (m == null) {
      throw new UsageException(STATUS + ": " + given + " has no " + IndexManifest.FILE + ": it is not an index (nor "
          + "a name index --output-table registered), or its first build did not finish.");
    }
    Map<String, String> v = m.values();
    StructType schema = new StructType()
        .add("index", DataTypes.StringType, false)
        .add("build", DataTypes.IntegerType, false)
        .add("model", DataTypes.StringType)
        .add("rows", DataTypes.LongType, false)
        .add("nlist", DataTypes.IntegerType, false)
        .add("cell_groups", DataTypes.IntegerType, false)
        .add("imbalance", DataTypes.DoubleType)
        .add("source", DataTypes.StringType)
        .add("source_version", DataTypes.StringType)
        .add("built_at", DataTypes.StringType)
        .add("updated_at", DataTypes.StringType)
        .add("manifest", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false);
    Row row = RowFactory.create(path, m.build(), v.get("model"), m.getLong("rows"), Integer.parseInt(v.get("nlist")),
        Integer.parseInt(v.get("cellGroups")), v.get("imbalance") == null ? null : Double.valueOf(v.get("imbalance")),
        v.get("source"), v.get("sourceVersion"), v.get("builtAt"), v.get("updatedAt"),
        new java.util.LinkedHashMap<>(v));
    return spark.createDataFrame(List.of(row), schema).queryExecution().analyzed();
  }

  private static String stringArgument(Expression e, String what) {
    Object v = constant(e, what);
    if (!(v instanceof org.apache.spark.unsafe.types.UTF8String)) {
      throw new UsageException("The argument for " + what + " must be a string, not " + e.dataType().simpleString()
          + ".");
    }
    return v.toString();
  }

  private static int intArgument(Expression e, String what) {
    Object v = constant(e, what);
    if (!(v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte)) {
      throw new UsageException("The argument for " + what + " must be an integer, not " + e.dataType().simpleString()
          + ".");
    }
    return Math.toIntExact(((Number) v).longValue());
  }

  private static Object constant(Expression e, String what) {
    if (!e.foldable()) {
      throw new UsageException("The argument for " + what + " must be a constant (a literal or an expression of "
          + "literals).");
    }
    Object v = e.eval(null);
    if (v == null) {
      throw new UsageException("The argument for " + what + " is null.");
    }
    return v;
  }

  private static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, LogicalPlan>> function(
      String name, String usage, java.util.function.Function<List<Expression>, LogicalPlan> build) {
    ExpressionInfo info = new ExpressionInfo(IndexTableFunctions.class.getName(), null, name, usage, "");
    Function1<Seq<Expression>, LogicalPlan> builder = new scala.runtime.AbstractFunction1<>() {
      @Override
      public LogicalPlan apply(Seq<Expression> args) {
        return build.apply(new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(args)));
      }
    };
    return new Tuple3<>(FunctionIdentifier.apply(name), info, builder);
  }
}
