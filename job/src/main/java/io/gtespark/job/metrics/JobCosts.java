package io.gtespark.job.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.execution.SparkPlanInfo;
import org.apache.spark.sql.execution.metric.SQLMetricInfo;
import org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates;
import org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What a stage's Spark jobs cost the cluster, summed from every finished task while it listens:
 * input bytes read (Spark's input metrics), shuffle bytes written, the largest serialized task
 * result sent to the driver, and the task count; and from Spark SQL's scans, the files every scan
 * opened and their bytes. These are the figures that grow with the input's bytes and partitions,
 * so a cluster operator can size a run from a smaller one; they go into {@code _gte_metrics.json}
 * beside the driver's peak heap.
 *
 * <p>Two figures, because neither alone says how often the input was read. Spark's input metric
 * counts every read of a cached block as input, and (Spark 4.2 with Parquet 1.17) misses the
 * column chunks Parquet reads with vectored IO on other threads, so for Parquet and Delta it shows
 * little more than the footers unless {@code spark.hadoop.parquet.hadoop.vectored.io.enabled} is
 * false. The scans' "size of files read" is the size of the files each query's scans selected
 * (after partition pruning and data skipping), counted once per planned scan: an input read by
 * three queries counts three times, a cached one once.
 */
public final class JobCosts extends SparkListener {
  private final SparkContext sc;
  private final AtomicLong inputBytes = new AtomicLong();
  private final AtomicLong shuffleBytesWritten = new AtomicLong();
  private final AtomicLong largestTaskResult = new AtomicLong();
  private final AtomicLong tasks = new AtomicLong();
  private final AtomicLong filesScanned = new AtomicLong();
  private final AtomicLong fileBytesScanned = new AtomicLong();
  /** The accumulator ids of the scans' "number of files read" (false) and "size of files read" (true). */
  private final Map<Long, Boolean> scanMetrics = new ConcurrentHashMap<>();

  private JobCosts(SparkContext sc) {
    this.sc = sc;
  }

  /** Starts listening on {@code sc} (and resets the JVM's heap peaks, so the peak covers this run). */
  public static JobCosts start(SparkContext sc) {
    JobCosts costs = new JobCosts(sc);
    MemoryProbe.resetPeaks();
    sc.addSparkListener(costs);
    return costs;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    TaskMetrics m = end.taskMetrics();
    if (m == null) {
      return;
    }
    tasks.incrementAndGet();
    inputBytes.addAndGet(m.inputMetrics().bytesRead());
    shuffleBytesWritten.addAndGet(m.shuffleWriteMetrics().bytesWritten());
    largestTaskResult.accumulateAndGet(m.resultSize(), Math::max);
  }

  @Override
  public void onOtherEvent(SparkListenerEvent event) {
    if (event instanceof SparkListenerSQLExecutionStart start) {
      rememberScanMetrics(start.sparkPlanInfo());
    } else if (event instanceof SparkListenerSQLAdaptiveExecutionUpdate update) {
      rememberScanMetrics(update.sparkPlanInfo());
    } else if (event instanceof SparkListenerDriverAccumUpdates updates) {
      for (Tuple2<Object, Object> u : CollectionConverters.asJava(updates.accumUpdates())) {
        Boolean bytes = scanMetrics.get((Long) u._1());
        if (bytes != null) {
          (bytes ? fileBytesScanned : filesScanned).addAndGet((Long) u._2());
        }
      }
    }
  }

  /** Remembers the ids of the file scans' driver metrics in {@code plan} (a scan posts them once, when planned). */
  private void rememberScanMetrics(SparkPlanInfo plan) {
    for (SQLMetricInfo m : CollectionConverters.asJava(plan.metrics())) {
      if (plan.nodeName().startsWith("Scan ") && m.name().equals("size of files read")) {
        scanMetrics.put(m.accumulatorId(), true);
      } else if (plan.nodeName().startsWith("Scan ") && m.name().equals("number of files read")) {
        scanMetrics.put(m.accumulatorId(), false);
      }
    }
    for (SparkPlanInfo child : CollectionConverters.asJava(plan.children())) {
      rememberScanMetrics(child);
    }
  }

  /**
   * Stops listening, once the events of the finished tasks have been delivered (the listener bus
   * is asynchronous), and adds the figures to {@code metrics}.
   */
  public void stopInto(RunMetrics metrics) {
    try {
      sc.listenerBus().waitUntilEmpty(10_000);
    } catch (TimeoutException e) {
      metrics.put("clusterCostsNote", "the listener bus did not drain in 10 s: the figures may miss the last tasks");
    }
    stop();
    metrics.put("tasks", tasks.get()).put("inputBytesRead", inputBytes.get())
        .put("shuffleBytesWritten", shuffleBytesWritten.get()).put("largestTaskResultBytes", largestTaskResult.get())
        .put("driverPeakHeapMiB", MemoryProbe.peakHeapMiB()).put("filesScanned", filesScanned.get())
        .put("fileBytesScanned", fileBytesScanned.get());
  }

  /** Stops listening without reporting (a run that wrote its metrics as it went). */
  public void stop() {
    sc.removeSparkListener(this);
  }
}
