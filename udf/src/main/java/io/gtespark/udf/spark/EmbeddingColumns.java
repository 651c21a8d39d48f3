package io.gtespark.udf.spark;

import io.gtespark.udf.SettingException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which text columns are embedded into which vector columns, checked against an input schema:
 * every text column must exist and be a string; no vector column may already exist. A single
 * text column gives {@code embedding} unless named otherwise; several give
 * {@code <col>_embedding}.
 */
public final class EmbeddingColumns implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The vector type: array&lt;float&gt;, the type MLlib's array_to_vector accepts. */
  public static final org.apache.spark.sql.types.DataType VECTOR_TYPE =
      DataTypes.createArrayType(DataTypes.FloatType, false);
  /** The float16 storage type: 2 bytes per dimension, little-endian (see {@code HalfFloat}). */
  public static final org.apache.spark.sql.types.DataType FLOAT16_TYPE = DataTypes.BinaryType;

  private final String[] textColumns;
  private final String[] vectorColumns;
  private final int[] textIndices;
  private final StructType outputSchema;
  private final boolean float16;

  private EmbeddingColumns(String[] textColumns, String[] vectorColumns, int[] textIndices, StructType out,
      boolean float16) {
    this.float16 = float16;
    this.textColumns = textColumns;
    this.vectorColumns = vectorColumns;
    this.textIndices = textIndices;
    this.outputSchema = out;
  }

  /** Default vector column names for these text columns. */
  public static List<String> defaultVectorColumns(List<String> textColumns) {
    if (textColumns.size() == 1) {
      return List.of("embedding");
    }
    List<String> out = new ArrayList<>();
    for (String c : textColumns) {
      out.add(c + "_embedding");
    }
    return out;
  }

  /** Checks the columns against {@code input}; errors name the column and what to do. */
  public static EmbeddingColumns of(StructType input, List<String> textColumns, List<String> vectorColumns) {
    return of(input, textColumns, vectorColumns, false);
  }

  /** As {@link #of(StructType, List, List)}, storing vectors as float16 bytes when asked. */
  public static EmbeddingColumns of(StructType input, List<String> textColumns, List<String> vectorColumns,
      boolean float16) {
    if (textColumns.isEmpty()) {
      throw new SettingException("No text column given; name one in spark.gte.textCols (or the Transformer's inputCol).");
    }
    if (textColumns.size() != vectorColumns.size()) {
      throw new SettingException(
          textColumns.size() + " text columns but " + vectorColumns.size() + " output columns were given.");
    }
    List<String> available = Arrays.asList(input.fieldNames());
    int[] idx = new int[textColumns.size()];
    for (int i = 0; i < idx.length; i++) {
      String c = textColumns.get(i);
      if (!available.contains(c)) {
        throw new SettingException(
            "Text column '" + c + "' is not in the input. Its columns are " + available
                + "; name one of them in spark.gte.textCols (or the Transformer's inputCol).");
      }
      StructField f = input.apply(c);
      if (!(f.dataType() instanceof StringType)) {
        throw new SettingException(
            "Text column '" + c + "' has type " + f.dataType().simpleString()
                + "; it must be a string. Cast it first (e.g. CAST(" + c + " AS STRING)) or pick another column.");
      }
      idx[i] = input.fieldIndex(c);
    }
    StructType out = input;
    for (String v : vectorColumns) {
      if (Arrays.asList(out.fieldNames()).contains(v)) {
        throw new SettingException(
            "Output column '" + v + "' already exists in the input; choose another output column name "
                + "or drop the existing column.");
      }
      out = out.add(v, float16 ? FLOAT16_TYPE : VECTOR_TYPE, true);
    }
    return new EmbeddingColumns(
        textColumns.toArray(new String[0]), vectorColumns.toArray(new String[0]), idx, out, float16);
  }

  public List<String> textColumns() {
    return List.of(textColumns);
  }

  public List<String> vectorColumns() {
    return List.of(vectorColumns);
  }

  int[] textIndices() {
    return textIndices.clone();
  }

  /** True when vectors are stored as float16 bytes rather than array&lt;float&gt;. */
  public boolean float16() {
    return float16;
  }

  /** The input schema plus one nullable vector column per text column. */
  public StructType outputSchema() {
    return outputSchema;
  }
}
