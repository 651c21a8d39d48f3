package io.gtespark.job.metrics;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What a stage's Spark jobs cost the cluster, summed from every finished task while it listens:
 * input bytes read (Spark's input metrics: file and table scans), shuffle bytes written, the
 * largest serialized task result sent to the driver, and the task count. These are the figures
 * that grow with the input's bytes and partitions, so a cluster operator can size a run from a
 * smaller one; they go into {@code _gte_metrics.json} beside the driver's peak heap.
 */
public final class JobCosts extends SparkListener {
  private final SparkContext sc;
  private final AtomicLong inputBytes = new AtomicLong();
  private final AtomicLong shuffleBytesWritten = new AtomicLong();
  private final AtomicLong largestTaskResult = new AtomicLong();
  private final AtomicLong tasks = new AtomicLong();

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
        .put("driverPeakHeapMiB", MemoryProbe.peakHeapMiB());
  }

  /** Stops listening without reporting (a run that wrote its metrics as it went). */
  public void stop() {
    sc.removeSparkListener(this);
  }
}
