package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputIdentity;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.model.TinyOnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hdfs:// paths of models, inputs and outputs against a real HDFS: a NameNode and a DataNode
 * started in this JVM on 127.0.0.1 (Hadoop's MiniDFSCluster, of the Hadoop version Spark uses).
 */
class HdfsTest extends SharedSparkSession {
  private static final Path SAMPLE = Paths.get("..", "notebooks", "data", "sample-docs.jsonl").toAbsolutePath();
  private static MiniDFSCluster cluster;
  private static FileSystem hdfs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, scratch.resolve("hdfs").toString());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem();
    root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static String put(Path local, String remote) throws Exception {
    hdfs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()),
        new org.apache.hadoop.fs.Path(remote));
    return root + remote;
  }

  private static Map<String, String> identity(String output) {
    return OutputIdentity.readJson(new org.apache.hadoop.fs.Path(output, OutputIdentity.SIDECAR),
        spark.sparkContext().hadoopConfiguration());
  }

  @Test
  void aModelReplacedOnHdfsWithOneOfEqualSizeIsUsedAndHashedAnew() throws Exception {
    Path local = scratch.resolve("tiny-fine-tune");
    TinyOnnxModel.tokenVectors(local, new float[] {1f, 2f, 3f, 4f}, new float[4]);
    String model = put(local, "/models/fine-tune");
    String first = root + "/out/first";
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--id-col", "id", "--model", model, "--output", first);
    assertEquals(0, run.exitCode, run.err);

    // A re-exported fine-tune of the same architecture, written over the old file: same size, other weights.
    long size = hdfs.getFileStatus(new org.apache.hadoop.fs.Path("/models/fine-tune/model.onnx")).getLen();
    TinyOnnxModel.tokenVectors(local, new float[] {4f, 3f, 2f, 1f}, new float[4]);
    assertEquals(size, Files.size(local.resolve("model.onnx")));
    Thread.sleep(5); // HDFS keeps modification times in milliseconds
    put(local.resolve("model.onnx"), "/models/fine-tune/model.onnx");
    String second = root + "/out/second";
    run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text", "--id-col", "id",
        "--model", model, "--output", second);
    assertEquals(0, run.exitCode, run.err);

    assertNotEquals(identity(first).get("gte.model.sha256"), identity(second).get("gte.model.sha256"),
        "the second run hashed a stale copy of the model");
    Row a = spark.read().parquet(first).filter("id = 1").select("embedding").first();
    Row b = spark.read().parquet(second).filter("id = 1").select("embedding").first();
    assertNotEquals(a.getList(0), b.getList(0), "the second run embedded with the old weights");
  }

  @Test
  void jsonAndParquetInputsOnHdfsGiveDeltaTablesOnHdfsThatMerge() throws Exception {
    String json = put(SAMPLE, "/data/docs.jsonl");
    String delta = root + "/lake/vectors";
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", json, "--text-col", "text", "--id-col", "id",
        "--output", delta, "--output-format", "delta");
    assertEquals(0, run.exitCode, run.err);
    assertEquals(50, spark.read().format("delta").load(delta).count());

    // The same documents as Parquet on HDFS, two of them edited: a merge embeds just those two.
    String parquet = root + "/data/docs-parquet";
    spark.read().json(json).withColumn("text", functions.expr("CASE WHEN id IN (3, 4) THEN concat(text, ' (edited)') "
        + "ELSE text END")).write().mode(SaveMode.Overwrite).parquet(parquet);
    long before = TextEncoder.textsEncodedInJvm();
    run = CommandLineRun.of(spark, "embed", "--input", parquet, "--text-col", "text", "--id-col", "id",
        "--output", delta, "--output-format", "delta", "--mode", "merge");
    assertEquals(0, run.exitCode, run.err);
    Map<String, String> metrics = OutputIdentity.readJson(new org.apache.hadoop.fs.Path(delta, "_gte_metrics.json"),
        spark.sparkContext().hadoopConfiguration());
    assertEquals("2", metrics.get("rowsEmbedded"), metrics.toString());
    assertTrue(TextEncoder.textsEncodedInJvm() - before <= 2, "only the edited rows were embedded");
    List<Row> rows = spark.read().format("delta").load(delta).select("id").distinct().collectAsList();
    assertEquals(50, rows.size());
    assertTrue(hdfs.exists(new org.apache.hadoop.fs.Path("/lake/vectors/_delta_log")), "the table lives on HDFS");
  }

  @Test
  void aModelDirectoryOnHdfsWithoutItsTokenizerFailsBeforeAnyTask() throws Exception {
    Path local = scratch.resolve("no-tokenizer");
    TinyOnnxModel.tokenVectors(local, new float[] {1f, 2f, 3f, 4f}, new float[4]);
    Files.delete(local.resolve("tokenizer.json"));
    String model = put(local, "/models/no-tokenizer");
    int jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    CommandLineRun run = CommandLineRun.of(spark, "embed", "--input", SAMPLE.toString(), "--text-col", "text",
        "--model", model, "--output", path("never-written"));
    assertEquals(2, run.exitCode, run.err);
    String line = run.err.lines().filter(l -> l.startsWith("error:")).findFirst().orElse("");
    assertTrue(line.contains("tokenizer.json") && line.contains("/models/no-tokenizer"), run.err);
    assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length,
        "no Spark job ran for a model that cannot load");
  }
}
