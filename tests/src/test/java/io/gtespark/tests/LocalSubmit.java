package io.gtespark.tests;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Starts {@code submit/local.sh} as a user runs it, in a child JVM, its output going to a log file. */
final class LocalSubmit {
  static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  private LocalSubmit() {}

  /** Starts {@code submit/local.sh args} with {@code javaOptions} as GTE_JAVA_OPTS (a CPU run unless they say else). */
  static Process start(List<String> args, String javaOptions, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("submit").resolve("local.sh").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("GTE_JAVA_OPTS", "-Dspark.gte.device=cpu " + javaOptions);
    return pb.start();
  }
}
