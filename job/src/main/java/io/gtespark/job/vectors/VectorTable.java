package io.gtespark.job.vectors;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.InputFormat;
import io.gtespark.job.io.OutputIdentity;
import io.gtespark.job.io.ReaderBatchSize;
import io.gtespark.job.io.TableReader;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.model.ModelIdentity;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EmbeddingSettings;
import io.gtespark.udf.spark.GteSqlFunctions;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * A table of (id, vector[, text]) for the similarity and cluster stages: an embedding output
 * read as it is, or raw text embedded on the fly with the run's model. Knows which model made
 * its vectors, so that vectors of different models are never compared.
 */
public final class VectorTable {
  /** Column names of the normalised view. */
  public static final String ID = "id";
  public static final String VECTOR = "vector";
  public static final String TEXT = "text";

  private final Dataset<Row> rows;
  private final ModelIdentity identity;
  private final String source;
  private final boolean embedded;

  private VectorTable(Dataset<Row> rows, ModelIdentity identity, String source, boolean embedded) {
    this.rows = rows;
    this.identity = identity;
    this.source = source;
    this.embedded = embedded;
  }

  /**
   * Loads {@code input}. If it has {@code vectorCol} the vectors are used; otherwise
   * {@code textCol} is embedded with the model of {@code settings} (resolved only then).
   */
  public static VectorTable load(SparkSession spark, String input, String format, String idCol, String vectorCol,
      String textCol, Supplier<EncoderSpec> spec) {
    return of(spark, TableReader.read(spark, input, InputFormat.parse(format)), input, idCol, vectorCol, textCol,
        List.of(), spec);
  }

  /**
   * As {@link #load}, over rows already read from {@code input} (a Delta snapshot pinned at a
   * version, say), carrying {@code carry} columns of the input after id, vector and text under
   * their own names.
   */
  public static VectorTable of(SparkSession spark, Dataset<Row> df, String input, String idCol, String vectorCol,
      String textCol, List<String> carry, Supplier<EncoderSpec> spec) {
    List<String> columns = Arrays.asList(df.columns());
    for (String c : carry) {
      if (!columns.contains(c)) {
        throw new UsageException("Input " + input + " has no column '" + c + "' to carry (its columns are " + columns
            + ").");
      }
      if (c.equals(ID) || c.equals(VECTOR) || c.equals(idCol) || c.equals(vectorCol)
          || (textCol != null && (c.equals(TEXT) || c.equals(textCol)))) {
        throw new UsageException("Column '" + c + "' of " + input + " is already carried as the id, vector or text; "
            + "name only other columns to carry.");
      }
    }
    requireColumns(columns, input, idCol, vectorCol, textCol);
    ModelIdentity identity;
    if (columns.contains(vectorCol)) {
      DataType t = df.schema().apply(vectorCol).dataType();
      if (t.equals(EmbeddingColumns.FLOAT16_TYPE)) {
        GteSqlFunctions.registerDecoder(spark);
        df = df.withColumn(vectorCol, functions.callUDF(GteSqlFunctions.FROM_FLOAT16, df.col(vectorCol)));
        t = EmbeddingColumns.VECTOR_TYPE;
      }
      if (!(t instanceof ArrayType) || !(((ArrayType) t).elementType().equals(DataTypes.FloatType)
          || ((ArrayType) t).elementType().equals(DataTypes.DoubleType))) {
        throw new UsageException("Column '" + vectorCol + "' of " + input + " is " + t.simpleString()
            + ", not an array of float; is it the output of the embed stage?");
      }
      identity = OutputIdentity.read(spark, input);
      ReaderBatchSize.fit(spark, identity != null ? identity.dimension() : firstDimension(df, vectorCol));
    } else {
      // requireColumns saw the text column: no vectors, so the text is embedded.
      EncoderSpec s = spec.get();
      EmbeddingColumns cols = EmbeddingColumns.of(df.schema(), List.of(textCol), List.of(vectorCol));
      df = DatasetEmbedder.embed(df, s, cols, null);
      identity = s.identity();
    }
    Dataset<Row> embeddedRows = df;
    List<org.apache.spark.sql.Column> selected = new java.util.ArrayList<>(List.of(df.col(idCol).as(ID),
        df.col(vectorCol).cast("array<float>").as(VECTOR)));
    if (textCol != null && columns.contains(textCol)) {
      selected.add(df.col(textCol).as(TEXT));
    }
    carry.forEach(c -> selected.add(embeddedRows.col(c)));
    Dataset<Row> view = df.select(selected.toArray(new org.apache.spark.sql.Column[0]));
    boolean embedded = !columns.contains(vectorCol);
    if (embedded) {
      // Embedded once: counts, the search or clustering, and text labels all read this copy.
      view = view.persist(StorageLevel.MEMORY_AND_DISK());
    }
    return new VectorTable(view, identity, input, embedded);
  }

  /**
   * Refuses, naming them, columns that {@link #of} needs and {@code input} lacks: the id, and the
   * vectors or (when {@code textCol} is given) the text to embed.
   */
  public static void requireColumns(List<String> columns, String input, String idCol, String vectorCol,
      String textCol) {
    if (!columns.contains(idCol)) {
      throw new UsageException("Input " + input + " has no id column '" + idCol + "' (its columns are " + columns
          + "); name it with --id-col.");
    }
    if (!columns.contains(vectorCol) && (textCol == null || !columns.contains(textCol))) {
      throw new UsageException("Input " + input + " has neither a vector column '" + vectorCol + "' nor a text column "
          + (textCol == null ? "(none given)" : "'" + textCol + "'") + "; its columns are " + columns
          + ". Pass --vector-col for embedding outputs or --text-col for raw text.");
    }
  }

  /** The length of the first non-null vector (one row read), or 0 for a table without any. */
  private static int firstDimension(Dataset<Row> df, String vectorCol) {
    List<Row> first = df.filter(df.col(vectorCol).isNotNull()).select(functions.size(df.col(vectorCol))).limit(1)
        .collectAsList();
    return first.isEmpty() ? 0 : first.get(0).getInt(0);
  }

  /** Frees the embedded copy of a raw-text input; a table read as it is holds nothing. */
  public void release() {
    if (embedded) {
      rows.unpersist(false);
    }
  }

  /** Refuses to compare vectors of two tables made by different models. */
  public static void requireComparable(VectorTable a, VectorTable b) {
    if (a.identity != null && b.identity != null && !a.identity.sameModel(b.identity)) {
      throw new UsageException("The vectors of " + a.source + " were made with " + a.identity + " and those of "
          + b.source + " with " + b.identity + "; scores between different models are meaningless. Embed both "
          + "with the same --model and settings.");
    }
  }

  /** Rows (id, vector[, text]), null vectors included. */
  public Dataset<Row> rows() {
    return rows;
  }

  /** Rows whose vector is not null. */
  public Dataset<Row> withVectors() {
    return rows.filter(rows.col(VECTOR).isNotNull());
  }

  /**
   * One (id, text) row per id, the text named {@code textName}, for labelling results; a
   * usage error naming the table when it was loaded without its text column.
   */
  public Dataset<Row> texts(String idName, String textName) {
    if (!hasText()) {
      throw new UsageException("--with-text needs the text column of " + source
          + ": name it with --text-col (it must exist in every input).");
    }
    return rows.select(rows.col(ID).as(idName), rows.col(TEXT).as(textName)).dropDuplicates(idName);
  }

  public boolean hasText() {
    return Arrays.asList(rows.columns()).contains(TEXT);
  }

  /** The model that made the vectors, or null when the input does not record it. */
  public ModelIdentity identity() {
    return identity;
  }

  /** Identity of the first table that knows its model. */
  public static ModelIdentity anyIdentity(VectorTable... tables) {
    for (VectorTable t : tables) {
      if (t.identity != null) {
        return t.identity;
      }
    }
    return null;
  }

  /** Settings placeholder so callers can pass a lazily resolved spec. */
  public static Supplier<EncoderSpec> lazySpec(EmbeddingSettings settings, SparkSession spark) {
    EncoderSpec[] cache = new EncoderSpec[1];
    return () -> {
      if (cache[0] == null) {
        cache[0] = settings.toSpec(spark);
      }
      return cache[0];
    };
  }
}
