package io.gtespark.tests;

import io.gtespark.job.GteSparkMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.spark.sql.SparkSession;

/** Runs the command line in-process on a shared session and keeps what it printed. */
final class CommandLineRun {
  final int exitCode;
  final String out;
  final String err;

  private CommandLineRun(int exitCode, String out, String err) {
    this.exitCode = exitCode;
    this.out = out;
    this.err = err;
  }

  static synchronized CommandLineRun of(SparkSession spark, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = GteSparkMain.run(args, spark);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    CommandLineRun run = new CommandLineRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    oldOut.print(run.out);
    oldErr.print(run.err);
    return run;
  }
}
