package io.gtespark.job;

import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.StageOptions;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** One batch stage of the command line ({@code embed}, ...). */
public interface Stage {
  /** The stage's name on the command line. */
  String name();

  /** One paragraph for {@code --help}. */
  String summary();

  /** The stage's options. */
  List<OptionSpec> options();

  /** False for stages that never touch Spark; they get no session (and start faster). */
  default boolean needsSpark() {
    return true;
  }

  /** Runs the stage; throws on failure with a message for the user. */
  void run(SparkSession spark, StageOptions options);
}
