package io.gtespark.job;

import io.gtespark.job.cli.StageOptions;
import io.gtespark.job.cli.UsageException;
import io.gtespark.job.bench.BenchStage;
import io.gtespark.job.bench.CorpusStage;
import io.gtespark.job.cluster.ClusterStage;
import io.gtespark.job.dedup.DedupStage;
import io.gtespark.job.embed.EmbedStage;
import io.gtespark.job.index.IndexStage;
import io.gtespark.job.pipeline.PipelineStage;
import io.gtespark.job.similarity.SimilarityStage;
import io.gtespark.udf.SettingException;
import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelStoreException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;

/**
 * The command line: {@code <stage> [options]}, the same locally ({@code submit/local.sh}) and
 * on a cluster ({@code submit/spark-submit.sh}). Exit status 0 on success, 2 for what the user
 * must change before the same command can succeed (flags, settings, a missing or wrong model, an
 * input or output state that a rerun would corrupt; the message says what to change), 1 for a
 * failure that running the same command again may cure (storage or model-store outages, lost
 * executors, any other failure while running).
 */
public final class GteSparkMain {
  private static final Map<String, Stage> STAGES = new LinkedHashMap<>();

  static {
    for (Stage s : new Stage[] {new EmbedStage(), new SimilarityStage(), new ClusterStage(), new DedupStage(),
        new IndexStage(), new PipelineStage(), new BenchStage(), new CorpusStage()}) {
      STAGES.put(s.name(), s);
    }
  }

  private GteSparkMain() {}

  /** The stages, in the order help and docs list them. */
  public static List<Stage> stages() {
    return List.copyOf(STAGES.values());
  }

  public static void main(String[] args) {
    System.exit(run(args, null));
  }

  /**
   * Runs a command line. With {@code spark} null a session is created (and stopped) here;
   * tests pass their own shared session.
   */
  public static int run(String[] args, SparkSession spark) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      System.out.println(usage());
      return args.length == 0 ? 2 : 0;
    }
    Stage stage = STAGES.get(args[0]);
    if (stage == null) {
      System.err.println("error: unknown stage '" + args[0] + "'.\n" + usage());
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
      System.out.println(StageOptions.help(stage.name(), stage.summary(), stage.options()));
      return 0;
    }
    SparkSession session = spark != null || !stage.needsSpark() ? spark : createSession(stage.name());
    try {
      StageOptions options = StageOptions.parse(stage.name(), stage.options(), rest,
          session == null ? Map.of() : StageOptions.sessionProperties(session));
      stage.run(session, options);
      return 0;
    } catch (UsageException | SettingException | ModelException e) {
      // Only what the user can fix by changing the command is a usage error (exit 2).
      System.err.println("error: " + StageOptions.withFlags(e.getMessage(), stage.options()));
      return 2;
    } catch (ModelStoreException e) {
      // The store, not the command: exit 1 so that a scheduler retries; the message names the user's path.
      LoggerFactory.getLogger(GteSparkMain.class).error("{} failed", stage.name(), e);
      System.err.println("error: " + stage.name() + " failed: " + e.getMessage() + " (the model's store failed; "
          + "running the same command again may succeed)");
      return 1;
    } catch (Exception e) {
      // Spark throws checked SparkExceptions from Scala code without declaring them. The stack
      // goes to the log for a bug report; the last line says what failed.
      LoggerFactory.getLogger(GteSparkMain.class).error("{} failed", stage.name(), e);
      System.err.println("error: " + stage.name() + " failed: "
          + StageOptions.withFlags(rootMessage(e), stage.options()));
      return 1;
    } finally {
      if (spark == null && session != null) {
        session.stop();
      }
    }
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("usage: <stage> [options]   (<stage> --help for its options)\n\nstages:\n");
    STAGES.values().forEach(s -> sb.append(String.format("  %-12s %s%n", s.name(), s.summary())));
    return sb.toString();
  }

  private static SparkSession createSession(String stage) {
    // The classic (in-process) builder directly: SparkSession.builder() first looks up which
    // implementation to use through Scala reflection, which costs over a second at every start.
    org.apache.spark.sql.classic.SparkSession.Builder b = org.apache.spark.sql.classic.SparkSession.builder()
        .appName("gte-spark " + stage);
    if (System.getProperty("spark.master") == null) {
      b = b.master("local[*]");
    }
    if (System.getProperty("spark.sql.extensions") == null) {
      b = b.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    }
    if (System.getProperty("spark.sql.catalog.spark_catalog") == null) {
      b = b.config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    }
    return b.getOrCreate();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    String msg = e.getMessage();
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t.getMessage() != null) {
        msg = t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return msg;
  }
}
