package io.gtespark.job.metrics;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Prints progress while a stage's job runs: rows done (records read by finished tasks), rows/s,
 * tasks done and an ETA from the fraction of tasks finished. At most one line per interval.
 */
public final class ProgressListener extends SparkListener {
  private final String label;
  private final PrintStream out;
  private final long intervalMillis;
  private final long started = System.currentTimeMillis();
  private final AtomicLong rows = new AtomicLong();
  private final AtomicInteger tasksDone = new AtomicInteger();
  private final AtomicInteger tasksTotal = new AtomicInteger();
  private volatile long lastPrint = started;

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
    if (event.taskInfo() == null || !event.taskInfo().successful() || event.taskMetrics() == null) {
      return;
    }
    tasksDone.incrementAndGet();
    rows.addAndGet(event.taskMetrics().outputMetrics().recordsWritten());
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
    return String.format("%s: %,d rows written, %.0f rows/s, tasks %d/%d, elapsed %s, ETA %s",
        label, rows.get(), rows.get() / secs, done, total, formatSeconds(secs), eta);
  }

  static String formatSeconds(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format("%dh%02dm", t / 3600, (t % 3600) / 60)
        : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
  }
}
