package io.gtespark.job.metrics;

import io.gtespark.udf.encode.EncodeCounters;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Prints progress while a stage's job runs: rows done (records read by finished tasks), rows/s,
 * tasks done and an ETA from the fraction of tasks finished. At most one line per interval.
 * Rows embedded so far include those of running tasks, which report their counters with each
 * executor heartbeat ({@code spark.executor.heartbeatInterval}), so a job of a few big tasks
 * shows movement long before its first task ends.
 */
public final class ProgressListener extends SparkListener {
  /** Name under which embed registers its counters accumulator, read here from heartbeats and task ends. */
  public static final String EMBED_COUNTERS = "gte-embed-counters";
  private final String label;
  private final PrintStream out;
  private final long intervalMillis;
  private final long started = System.currentTimeMillis();
  private final AtomicLong rows = new AtomicLong();
  private final AtomicInteger tasksDone = new AtomicInteger();
  private final AtomicInteger tasksTotal = new AtomicInteger();
  private volatile long lastPrint = started;
  private final AtomicLong embeddedByFinishedTasks = new AtomicLong();
  private final Map<Long, Long> embeddedByRunningTasks = new ConcurrentHashMap<>();

  public ProgressListener(String label, PrintStream out, long intervalMillis) {
    this.label = label;
    this.out = out;
    this.intervalMillis = intervalMillis;
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    tasksTotal.addAndGet(event.stageInfo().numTasks());
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    if (event.taskInfo() == null) {
      return;
    }
    embeddedByRunningTasks.remove(event.taskInfo().taskId());
    if (!event.taskInfo().successful() || event.taskMetrics() == null) {
      return;
    }
    tasksDone.incrementAndGet();
    rows.addAndGet(event.taskMetrics().outputMetrics().recordsWritten());
    for (AccumulableInfo info : CollectionConverters.asJava(event.taskInfo().accumulables())) {
      embeddedByFinishedTasks.addAndGet(embeddedRows(info));
    }
    maybePrint();
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate event) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
        : CollectionConverters.asJava(event.accumUpdates())) {
      long rowsSoFar = 0;
      for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
        rowsSoFar += embeddedRows(info);
      }
      if (rowsSoFar > 0) {
        embeddedByRunningTasks.put((Long) task._1(), rowsSoFar);
      }
    }
    maybePrint();
  }

  /** Rows embedded as {@code info} reports them: non-zero only for embed's counters. */
  private static long embeddedRows(AccumulableInfo info) {
    if (info.name().isEmpty() || !EMBED_COUNTERS.equals(info.name().get()) || info.update().isEmpty()) {
      return 0;
    }
    Object update = info.update().get();
    return update instanceof EncodeCounters ? ((EncodeCounters) update).rows() : 0;
  }

  /** Rows embedded so far, those of running tasks included. */
  public long rowsEmbedded() {
    long running = 0;
    for (long r : embeddedByRunningTasks.values()) {
      running += r;
    }
    return embeddedByFinishedTasks.get() + running;
  }

  private synchronized void maybePrint() {
    long now = System.currentTimeMillis();
    if (now - lastPrint >= intervalMillis) {
      lastPrint = now;
      out.println(line(now));
    }
  }

  /** The current progress line. */
  public String line(long now) {
    double secs = Math.max(0.001, (now - started) / 1000.0);
    int done = tasksDone.get();
    int total = Math.max(done, tasksTotal.get());
    String eta = done == 0 || total == 0 ? "?" : formatSeconds(secs * (total - done) / done);
    long embedded = rowsEmbedded();
    String embeddedPart = embedded == 0 ? ""
        : String.format("%,d rows embedded (%.0f rows/s, running tasks included), ", embedded, embedded / secs);
    return String.format("%s: %s%,d rows written, %.0f rows/s, tasks %d/%d, elapsed %s, ETA %s",
        label, embeddedPart, rows.get(), rows.get() / secs, done, total, formatSeconds(secs), eta);
  }

  public static String formatSeconds(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format("%dh%02dm", t / 3600, (t % 3600) / 60)
        : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
  }
}
