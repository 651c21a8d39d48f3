package io.gtespark.tests;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connect.service.SparkConnectService;

/** A Spark Connect server started in the test JVM on 127.0.0.1, and a JVM Connect client of it. */
final class ConnectServer {
  private ConnectServer() {}

  /**
   * Session properties that bind the server to a free loopback port. The port can be taken
   * before the server binds it (a CI run failed so): the server then tries the next ones.
   */
  static Map<String, String> properties() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return Map.of("spark.connect.grpc.binding.address", "127.0.0.1", "spark.connect.grpc.binding.port", "" + port,
        "spark.connect.grpc.port.maxRetries", "16");
  }

  /** Starts the server on {@code spark} and returns a client connected to the port it bound. */
  static org.apache.spark.sql.connect.SparkSession start(SparkSession spark) {
    SparkConnectService.start(spark.sparkContext());
    int bound = org.apache.spark.sql.connect.service.SparkConnectService$.MODULE$.localPort();
    return org.apache.spark.sql.connect.SparkSession.builder().remote("sc://127.0.0.1:" + bound).create();
  }

  /** Closes {@code client} (when there is one) and stops the server. */
  static void stop(org.apache.spark.sql.connect.SparkSession client) {
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      SparkConnectService.stop(scala.Option.empty(), scala.Option.empty());
    }
  }
}
