package io.gtespark.udf.spark;

import io.gtespark.udf.encode.HalfFloat;
import java.io.Serializable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Function1;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Puts {@code gte_embed}, {@code gte_similarity} and {@code gte_vector} into every session, the
 * way Delta and Iceberg add theirs: {@code spark.sql.extensions=io.gtespark.udf.spark.GteSparkSessionExtension}.
 * Nothing is loaded until a query names a function; the model and its settings are then those of
 * the querying session's {@code spark.gte.*} properties, resolved on the driver, so {@code --conf}
 * (or {@code SET} before the query) is all a SQL, PySpark or Spark Connect user needs.
 */
public final class GteSparkSessionExtension extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectFunction(function(GteSqlFunctions.EMBED, "_FUNC_(text) - the GTE vector of text (array<float>), "
        + "with the model and settings of the session's spark.gte.* properties; null for a null text.",
        1, args -> udf(GteSqlFunctions.EMBED, new GteSqlFunctions.EmbedFunction(sessionSpec()),
            EmbeddingColumns.VECTOR_TYPE, args)));
    extensions.injectFunction(function(GteSqlFunctions.SIMILARITY, "_FUNC_(a, b) - the cosine of two vectors "
        + "(array<float>); null when either is null.",
        2, args -> udf2(GteSqlFunctions.SIMILARITY, new GteSqlFunctions.SimilarityFunction(), DataTypes.DoubleType,
            args)));
    extensions.injectFunction(function(GteSqlFunctions.FROM_FLOAT16, "_FUNC_(binary) - a float16 vector column "
        + "(embed --vector-type float16) as array<float>.",
        1, args -> udf(GteSqlFunctions.FROM_FLOAT16, (UDF1<byte[], float[]>) HalfFloat::decode,
            EmbeddingColumns.VECTOR_TYPE, args)));
    return BoxedUnit.UNIT;
  }

  /** The model of the session that is analysing the query, resolved (and cached per JVM) on the driver. */
  private static io.gtespark.udf.encode.EncoderSpec sessionSpec() {
    SparkSession spark = SparkSession.active();
    return EmbeddingSettings.fromSession(spark).toSpec(spark);
  }

  private static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, Expression>> function(
      String name, String usage, int arity, Function1<Seq<Expression>, Expression> build) {
    ExpressionInfo info = new ExpressionInfo(GteSparkSessionExtension.class.getName(), null, name, usage, "");
    Function1<Seq<Expression>, Expression> checked = args -> {
      if (args.size() != arity) {
        throw new IllegalArgumentException(name + " takes " + arity + " argument" + (arity == 1 ? "" : "s")
            + ", not " + args.size() + ".");
      }
      return build.apply(args);
    };
    return new Tuple3<>(FunctionIdentifier.apply(name), info, checked);
  }

  private static <A, R> Expression udf(String name, UDF1<A, R> f, DataType type, Seq<Expression> args) {
    return scalaUdf(name, new Call1<>(f), type, args);
  }

  private static <A, B, R> Expression udf2(String name, UDF2<A, B, R> f, DataType type, Seq<Expression> args) {
    return scalaUdf(name, new Call2<>(f), type, args);
  }

  @SuppressWarnings("unchecked")
  private static Expression scalaUdf(String name, Object function, DataType type, Seq<Expression> args) {
    // No encoders: arguments arrive as Spark's external types (String, byte[], Seq), as for Java UDFs.
    Seq<Option<ExpressionEncoder<?>>> noEncoders = (Seq<Option<ExpressionEncoder<?>>>) (Seq<?>) scala.collection
        .immutable.Nil$.MODULE$;
    return new ScalaUDF(function, type, args, noEncoders, Option.empty(), Option.apply(name), true, true);
  }

  /** A Java UDF1 as the Scala function a {@link ScalaUDF} calls. */
  private static final class Call1<A, R> extends AbstractFunction1<A, R> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final UDF1<A, R> f;

    Call1(UDF1<A, R> f) {
      this.f = f;
    }

    @Override
    public R apply(A a) {
      try {
        return f.call(a);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A Java UDF2 as the Scala function a {@link ScalaUDF} calls. */
  private static final class Call2<A, B, R> extends scala.runtime.AbstractFunction2<A, B, R> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final UDF2<A, B, R> f;

    Call2(UDF2<A, B, R> f) {
      this.f = f;
    }

    @Override
    public R apply(A a, B b) {
      try {
        return f.call(a, b);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
