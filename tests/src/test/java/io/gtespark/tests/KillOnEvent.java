package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs {@code submit/local.sh} in a child JVM and kills it with SIGKILL as soon as an event that
 * only happens once the job is under way is seen, so the kill is known to land mid-job.
 */
final class KillOnEvent {
  private KillOnEvent() {}

  /** Starts the command (local[2]) and SIGKILLs it when {@code midJob} holds; fails if it ends first. */
  static void runAndKill(List<String> args, Path log, BooleanSupplier midJob, String what) throws Exception {
    Process p = LocalSubmit.start(args, "-Dspark.master=local[2]", log);
    long end = System.currentTimeMillis() + 180_000;
    while (!midJob.getAsBoolean()) {
      assertTrue(p.isAlive(), "the run ended before " + what + ":\n" + Files.readString(log));
      assertTrue(System.currentTimeMillis() < end, "timed out waiting for " + what + ":\n" + Files.readString(log));
      Thread.sleep(20);
    }
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue(), "killed by SIGKILL, not ended on its own:\n" + Files.readString(log));
  }

  /** Whether the log holds {@code text} yet. */
  static boolean logContains(Path log, String text) {
    try {
      return Files.readString(log).contains(text);
    } catch (IOException e) {
      return false;
    }
  }
}
