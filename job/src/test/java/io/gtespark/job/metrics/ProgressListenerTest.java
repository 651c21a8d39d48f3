package io.gtespark.job.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.encode.EncodeCounters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

class ProgressListenerTest {
  private static AccumulableInfo info(long id, String name, Object update) {
    return new AccumulableInfo(id, Option.apply(name), Option.apply(update), Option.empty(), false, false,
        Option.empty());
  }

  /** A heartbeat from one executor: each task's accumulator values so far. */
  @SafeVarargs
  private static SparkListenerExecutorMetricsUpdate heartbeat(Tuple4<Object, Object, Object,
      scala.collection.immutable.Seq<AccumulableInfo>>... tasks) {
    return new SparkListenerExecutorMetricsUpdate("1", CollectionConverters.asScala(List.of(tasks)).toList(),
        scala.collection.immutable.Map$.MODULE$.empty());
  }

  private static Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task(long id,
      AccumulableInfo... infos) {
    return new Tuple4<>(id, 0, 0, CollectionConverters.asScala(List.of(infos)).toList());
  }

  @Test
  void runningTasksReportTheirRowsWithEachHeartbeat() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    ProgressListener progress = new ProgressListener("embed", new PrintStream(printed, true, StandardCharsets.UTF_8), 0);
    progress.onExecutorMetricsUpdate(heartbeat(
        task(1, info(7, ProgressListener.EMBED_COUNTERS, EncodeCounters.ofRows(300))),
        task(2, info(7, ProgressListener.EMBED_COUNTERS, EncodeCounters.ofRows(500)), info(8, "other", 99L))));
    assertEquals(800, progress.rowsEmbedded());
    // A later heartbeat replaces a task's count (it is the task's running total), it does not add to it.
    progress.onExecutorMetricsUpdate(heartbeat(task(1, info(7, ProgressListener.EMBED_COUNTERS,
        EncodeCounters.ofRows(450)))));
    assertEquals(950, progress.rowsEmbedded());
    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("950 rows embedded") && out.contains("running tasks included"), out);
  }

  @Test
  void otherStagesPrintNoEmbeddedRows() {
    ProgressListener progress = new ProgressListener("similarity", System.out, 0);
    progress.onExecutorMetricsUpdate(heartbeat(task(1, info(8, "other", 42L))));
    assertEquals(0, progress.rowsEmbedded());
    assertTrue(!progress.line(System.currentTimeMillis()).contains("embedded"));
  }
}
