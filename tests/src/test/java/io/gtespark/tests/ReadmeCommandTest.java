package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's main command, exactly as written, run as a new user would in a shell. */
class ReadmeCommandTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @Test
  void readmeEmbedCommandRunsOnTheBundledModel() throws IOException, InterruptedException {
    List<String> commands = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8).stream()
        .map(String::trim).filter(l -> l.startsWith("submit/local.sh embed --input")).collect(Collectors.toList());
    assertEquals(1, commands.size(), "the README has one main embed command");
    String command = commands.get(0);
    String output = command.replaceAll(".*--output (\\S+).*", "$1");
    Path log = Files.createTempFile("readme-command", ".log");
    Process p = new ProcessBuilder("bash", "-c", command).directory(ROOT.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "README command timed out");
    String printed = Files.readString(log);
    System.out.println(printed);
    assertEquals(0, p.exitValue(), printed);
    assertTrue(printed.contains("embed done: 50 rows"), printed);
    assertTrue(Files.exists(Paths.get(output, "_gte_model.json")));
    assertTrue(Files.exists(Paths.get(output, "_gte_metrics.json")));
    assertTrue(Files.exists(Paths.get(output, "_SUCCESS")));
  }
}
