package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.io.OutputFormat;
import io.gtespark.job.io.OutputMode;
import io.gtespark.job.io.TableWriter;
import io.gtespark.udf.encode.BundledSpec;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.TextEncoder;
import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.spark.DatasetEmbedder;
import io.gtespark.udf.spark.EmbeddingColumns;
import io.gtespark.udf.spark.EmbeddingSettings;
import io.gtespark.udf.spark.GteConf;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tasks that die part-way on their first attempt ({@code local[2,4]} retries them): before the
 * embedding finishes, or while the writer is writing. Parquet (Spark's commit protocol) and Delta
 * (its transaction log) must hold every id exactly once with the right vector.
 */
class TaskRetryTest extends SharedSparkSession {
  private static final int ROWS = 120;
  private static final AtomicInteger FAILED_TASKS = new AtomicInteger();

  @BeforeAll
  static void restartWithRetries() {
    spark.stop();
    spark = session("local[2,4]");
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!end.taskInfo().successful()) {
          FAILED_TASKS.incrementAndGet();
        }
      }
    });
  }

  /** Fails the first attempt of every even partition after {@code after} rows passed through. */
  static final class FailFirstAttempt implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final int after;

    FailFirstAttempt(int after) {
      this.after = after;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      TaskContext ctx = TaskContext.get();
      boolean fail = ctx.attemptNumber() == 0 && ctx.partitionId() % 2 == 0;
      return new Iterator<Row>() {
        private int seen;

        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public Row next() {
          if (fail && ++seen > after) {
            throw new IllegalStateException("injected failure in partition " + ctx.partitionId());
          }
          return rows.next();
        }
      };
    }
  }

  @ParameterizedTest(name = "{0} output, failure {1}")
  @CsvSource({"parquet, while-embedding", "parquet, while-writing", "delta, while-embedding", "delta, while-writing"})
  void everyIdExactlyOnceWithTheRightVector(String format, String where) {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      texts.add("document " + i + " about " + (i % 3 == 0 ? "rivers and lakes" : i % 3 == 1 ? "compilers" : "bread"));
    }
    Dataset<Row> input = EngineOnSparkTest.frame(texts, 4);
    // Small chunks: several chunks are embedded (and their rows emitted) before the failure hits.
    EncoderSpec spec = EmbeddingSettings.of(Map.of(GteConf.DEVICE, "cpu", GteConf.CHUNK_ROWS, "8")).toSpec(spark);
    EmbeddingColumns columns = EmbeddingColumns.of(input.schema(), List.of("text"), List.of("embedding"));
    Dataset<Row> rows = where.equals("while-embedding")
        ? DatasetEmbedder.embed(input.mapPartitions(new FailFirstAttempt(10), Encoders.row(input.schema())), spec,
            columns, null)
        : DatasetEmbedder.embed(input, spec, columns, null)
            .mapPartitions(new FailFirstAttempt(20), Encoders.row(columns.outputSchema()));
    int failedBefore = FAILED_TASKS.get();
    String out = path(format + "-" + where);
    new TableWriter(spark, out, OutputFormat.parse(format), OutputMode.ERROR).write(rows, spec.identity());
    assertTrue(FAILED_TASKS.get() > failedBefore, "tasks really failed and were retried");

    Dataset<Row> written = spark.read().format(format).load(out);
    assertEquals(ROWS, written.count(), "no row duplicated or lost");
    assertEquals(ROWS, written.select("id").distinct().count());
    Map<Long, float[]> vectors = EngineOnSparkTest.vectors(written);
    float[][] expected = TextEncoder.forTask(BundledSpec.builder().build()).encode(texts);
    for (int i = 0; i < ROWS; i++) {
      assertTrue(VectorMath.cosine(expected[i], vectors.get((long) i)) >= 0.99999, "vector of row " + i);
    }
  }

}
