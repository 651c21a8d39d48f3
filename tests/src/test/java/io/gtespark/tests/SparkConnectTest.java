package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.encode.BundledSpec;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import java.io.IOException;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Spark Connect server started in this JVM on 127.0.0.1 with the SQL extension, and the JVM
 * Connect client (a thin gRPC client, no Spark engine of its own) calling gte_embed through SQL.
 */
class SparkConnectTest extends SharedSparkSession {
  private static final String TEXT = "Connect clients send plans; the server runs them next to the data.";
  private static org.apache.spark.sql.connect.SparkSession client;

  @BeforeAll
  static void startServerAndClient() throws IOException {
    spark.stop();
    spark = session("local[2]", "io.delta.sql.DeltaSparkSessionExtension,io.gtespark.udf.spark.GteSparkSessionExtension",
        ConnectServer.properties());
    client = ConnectServer.start(spark);
  }

  @AfterAll
  static void stopServerAndClient() {
    ConnectServer.stop(client);
  }

  @Test
  void aConnectClientEmbedsThroughSqlWithTheServersEngine() {
    List<Row> rows = client.sql("SELECT gte_embed('" + TEXT + "') AS v, "
        + "gte_similarity(gte_embed('" + TEXT + "'), gte_embed('" + TEXT + "')) AS self").collectAsList();
    assertEquals(1, rows.size());
    float[] got = EngineOnSparkTest.toFloats(rows.get(0).getList(0));
    float[] expected = TextEncoder.forTask(BundledSpec.builder().build()).encode(List.of(TEXT))[0];
    assertEquals(384, got.length);
    assertTrue(VectorMath.cosine(expected, got) >= 0.9999, "cosine " + VectorMath.cosine(expected, got));
    assertEquals(1.0, rows.get(0).getDouble(1), 1e-5);

    // The client's own session settings reach the functions.
    client.conf().set("spark.gte.pooling", "mean");
    float[] mean = EngineOnSparkTest.toFloats(client.sql("SELECT gte_embed('" + TEXT + "')").collectAsList().get(0)
        .getList(0));
    assertTrue(VectorMath.cosine(got, mean) < 0.9999, "spark.gte.pooling=mean set by the client changed nothing");
  }
}
