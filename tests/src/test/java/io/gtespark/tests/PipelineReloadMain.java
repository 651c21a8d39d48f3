package io.gtespark.tests;

import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.SparkSession;

/**
 * The other JVM of {@link PipelinePersistenceTest}: loads a saved pipeline and applies it to a
 * saved input. Arguments: pipeline directory, input Parquet, output Parquet.
 */
public final class PipelineReloadMain {
  private PipelineReloadMain() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("gte-spark-reload")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.gte.device", "cpu").getOrCreate();
    try {
      PipelineModel model = PipelineModel.load(args[0]);
      model.transform(spark.read().parquet(args[1])).select("id", "features", "prediction")
          .withColumn("features", org.apache.spark.ml.functions.vector_to_array(
              org.apache.spark.sql.functions.col("features"), "float32"))
          .write().parquet(args[2]);
    } finally {
      spark.stop();
    }
  }
}
