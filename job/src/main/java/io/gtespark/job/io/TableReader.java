package io.gtespark.job.io;

import io.gtespark.job.cli.UsageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple3;

/**
 * Reads a job's input as a DataFrame. Plain text gives one row per line with columns {@code id}
 * ("file:line"), {@code file}, {@code line} and {@code text}; CSV is read with a header row.
 */
public final class TableReader {
  /** Column names of plain-text input. */
  public static final String TEXT_ID = "id";
  public static final String TEXT_FILE = "file";
  public static final String TEXT_LINE = "line";
  public static final String TEXT_COLUMN = "text";

  private TableReader() {}

  /** {@code format}, or the format detected from {@code input} when it is null (auto). */
  public static InputFormat formatOf(SparkSession spark, String input, InputFormat format) {
    return format != null ? format : InputFormat.detect(input, spark.sparkContext().hadoopConfiguration());
  }

  /** Reads {@code input} in {@code format} (null = detect). */
  public static Dataset<Row> read(SparkSession spark, String input, InputFormat format) {
    switch (formatOf(spark, input, format)) {
      case PARQUET:
        return spark.read().parquet(input);
      case DELTA:
        return spark.read().format("delta").load(input);
      case JSON:
        return spark.read().json(input);
      case CSV:
        return spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(input);
      case ORC:
        return spark.read().orc(input);
      case TABLE:
        return spark.table(input);
      case TEXT:
        return readText(spark, input);
      default:
        throw new IllegalStateException("Unhandled input format " + format);
    }
  }

  /**
   * Plain text: one row per line with {@code file} (the file's path below the input, or its name
   * for a single file), {@code line} (1-based within that file), {@code id} ("file:line") and
   * {@code text}. Ids do not depend on how Spark splits or orders the files, so they stay the
   * same between runs and a merge can key on them. Lines are numbered in two passes: the first
   * counts each split's lines, the driver adds them up per file, the second numbers the rows.
   */
  private static Dataset<Row> readText(SparkSession spark, String input) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String root;
    try {
      Path p = new Path(input);
      root = p.getFileSystem(conf).makeQualified(p).toString().replaceAll("/+$", "");
    } catch (IOException e) {
      throw new UsageException("Cannot read input " + input + ": " + e.getMessage());
    }
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopFile(
        input, TextInputFormat.class, LongWritable.class, Text.class, new Configuration(conf));
    Map<String, Long> firstLine = new HashMap<>();
    Map<String, List<long[]>> splitsPerFile = new HashMap<>();
    for (Tuple3<String, Long, Long> c : lines.mapPartitionsWithInputSplit((split, it) -> {
      long n = 0;
      while (it.hasNext()) {
        it.next();
        n++;
      }
      FileSplit fs = (FileSplit) split;
      return List.of(new Tuple3<>(fs.getPath().toString(), fs.getStart(), n)).iterator();
    }, true).collect()) {
      splitsPerFile.computeIfAbsent(c._1(), f -> new ArrayList<>()).add(new long[] {c._2(), c._3()});
    }
    splitsPerFile.forEach((file, splits) -> {
      splits.sort(Comparator.comparingLong(s -> s[0]));
      long before = 0;
      for (long[] s : splits) {
        firstLine.put(file + "@" + s[0], before + 1);
        before += s[1];
      }
    });
    Broadcast<Map<String, Long>> bases = jsc.broadcast(firstLine);
    JavaRDD<Row> rows = lines.mapPartitionsWithInputSplit((split, it) -> {
      FileSplit fs = (FileSplit) split;
      String path = fs.getPath().toString();
      String name = path.startsWith(root + "/") ? path.substring(root.length() + 1) : fs.getPath().getName();
      long line = bases.value().get(path + "@" + fs.getStart());
      List<Row> out = new ArrayList<>();
      while (it.hasNext()) {
        out.add(RowFactory.create(name + ":" + line, name, line, it.next()._2().toString()));
        line++;
      }
      return out.iterator();
    }, true);
    StructType schema = new StructType()
        .add(TEXT_ID, DataTypes.StringType, false)
        .add(TEXT_FILE, DataTypes.StringType, false)
        .add(TEXT_LINE, DataTypes.LongType, false)
        .add(TEXT_COLUMN, DataTypes.StringType, true);
    return spark.createDataFrame(rows, schema);
  }

  /** Column names of a schema, for error messages. */
  public static List<String> columns(StructType schema) {
    return new ArrayList<>(List.of(schema.fieldNames()));
  }
}
