package io.gtespark.udf.spark;

import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.HalfFloat;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.vectors.VectorRows;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;

/**
 * SQL functions for ad-hoc queries: {@code gte_embed(text)} returns the text's vector and
 * {@code gte_similarity(a, b)} the cosine of two vectors. The convenient path: each row
 * runs alone, with no batching, no deduplication of identical texts and no counters. On two CPU
 * cores it measured 0.95x the batched path (docs/benchmarks.md); on GPUs, where batching pays
 * far more, use the embed job or {@link GteEmbedder} for whole tables.
 */
public final class GteSqlFunctions {
  /** Name of the embedding function. */
  public static final String EMBED = "gte_embed";
  /** Name of the similarity function. */
  public static final String SIMILARITY = "gte_similarity";
  /** Name of the function that turns a float16 vector (binary) back into array&lt;float&gt;. */
  public static final String FROM_FLOAT16 = "gte_vector";

  private GteSqlFunctions() {}

  /** Registers both functions with the model of the session's {@code spark.gte.*} settings. */
  public static EncoderSpec register(SparkSession spark) {
    EncoderSpec spec = EmbeddingSettings.fromSession(spark).toSpec(spark);
    register(spark, spec);
    return spec;
  }

  /** Registers both functions with a resolved model. */
  public static void register(SparkSession spark, EncoderSpec spec) {
    spark.udf().register(EMBED, new EmbedFunction(spec), EmbeddingColumns.VECTOR_TYPE);
    spark.udf().register(SIMILARITY, new SimilarityFunction(), DataTypes.DoubleType);
    registerDecoder(spark);
  }

  /** Registers only {@code gte_vector(binary)}, which needs no model. */
  public static void registerDecoder(SparkSession spark) {
    spark.udf().register(FROM_FLOAT16, (UDF1<byte[], float[]>) HalfFloat::decode, EmbeddingColumns.VECTOR_TYPE);
  }

  /** {@code gte_embed}: one text to its vector; the task's encoder is made on first call. */
  static final class EmbedFunction implements UDF1<String, float[]> {
    private static final long serialVersionUID = 1L;
    private final EncoderSpec spec;
    private transient TextEncoder encoder;

    EmbedFunction(EncoderSpec spec) {
      this.spec = spec;
    }

    @Override
    public float[] call(String text) {
      if (text == null) {
        return null;
      }
      if (encoder == null) {
        encoder = TextEncoder.forTask(spec);
      }
      return encoder.encodeOne(text);
    }
  }

  /** {@code gte_similarity}: cosine of two vectors, whatever their length (null when either is null). */
  static final class SimilarityFunction implements UDF2<scala.collection.Seq<?>, scala.collection.Seq<?>, Double> {
    private static final long serialVersionUID = 2L;

    @Override
    public Double call(scala.collection.Seq<?> a, scala.collection.Seq<?> b) {
      if (a == null || b == null) {
        return null;
      }
      return VectorRows.cosine(VectorRows.floats(a), VectorRows.floats(b));
    }
  }
}
