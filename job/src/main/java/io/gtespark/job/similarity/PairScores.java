package io.gtespark.job.similarity;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.vectors.VectorTable;
import io.gtespark.udf.vectors.VectorRows;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * One score per given (id_a, id_b) pair: the cosine of their vectors (through the one vector
 * reader, so a table that is not normalised still gets cosines, and vectors of different
 * dimension are an error), null when either id is unknown or has a null vector. Every pair of
 * the input appears once in the output.
 */
public final class PairScores {
  /** Column names of the pairs table. */
  public static final String A = "id_a";
  public static final String B = "id_b";

  private PairScores() {}

  /** Scores {@code pairs} (columns id_a, id_b) with the vectors of {@code vectors}. */
  public static Dataset<Row> score(Dataset<Row> pairs, Dataset<Row> vectors) {
    if (!Arrays.asList(pairs.columns()).containsAll(Arrays.asList(A, B))) {
      throw new UsageException("The --pairs table needs columns id_a and id_b; it has " + Arrays.toString(pairs.columns()) + ".");
    }
    Dataset<Row> va = vectors.select(functions.col(VectorTable.ID).as("_a"), functions.col(VectorTable.VECTOR).as("_va"));
    Dataset<Row> vb = vectors.select(functions.col(VectorTable.ID).as("_b"), functions.col(VectorTable.VECTOR).as("_vb"));
    Dataset<Row> p = pairs.select(A, B);
    Dataset<Row> joined = p.join(va, p.col(A).equalTo(va.col("_a")), "left")
        .join(vb, p.col(B).equalTo(vb.col("_b")), "left");
    UserDefinedFunction cosine = functions.udf(
        (UDF2<scala.collection.Seq<Object>, scala.collection.Seq<Object>, Double>) (a, b) ->
            a == null || b == null ? null : VectorRows.cosine(VectorRows.floats(a), VectorRows.floats(b)),
        DataTypes.DoubleType);
    return joined.select(functions.col(A), functions.col(B),
        cosine.apply(functions.col("_va"), functions.col("_vb")).as("score"));
  }
}
