package io.gtespark.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * The README's main command and its 60-second tour, exactly as written, run as a new user
 * would in a shell: the set-up command first, then the tour's block, which reads its output.
 */
class ReadmeCommandTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  private static String runInShell(String script) throws IOException, InterruptedException {
    Path log = Files.createTempFile("readme-command", ".log");
    Process p = new ProcessBuilder("bash", "-e", "-c", script).directory(ROOT.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "README command timed out");
    String printed = Files.readString(log);
    System.out.println(printed);
    assertEquals(0, p.exitValue(), printed);
    return printed;
  }

  /** The indented lines between the tour's heading and the next heading: a shell script. */
  private static String tourBlock(List<String> readme) {
    int start = readme.indexOf("## A 60-second tour");
    assertTrue(start >= 0, "the README has a 60-second tour");
    StringBuilder script = new StringBuilder();
    for (String line : readme.subList(start + 1, readme.size())) {
      if (line.startsWith("## ")) {
        break;
      }
      if (line.startsWith("    ")) {
        script.append(line.substring(4)).append('\n');
      }
    }
    return script.toString();
  }

  @Test
  void readmeSetUpCommandAndTourRunAsWritten() throws IOException, InterruptedException {
    List<String> readme = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    List<String> commands = readme.stream()
        .map(String::trim).filter(l -> l.startsWith("submit/local.sh embed --input")).collect(Collectors.toList());
    assertEquals(1, commands.size(), "the README has one main embed command");
    String command = commands.get(0);
    String output = command.replaceAll(".*--output (\\S+).*", "$1");
    String printed = runInShell(command);
    assertTrue(printed.contains("embed done: 50 rows"), printed);
    assertFalse(printed.contains("\u001b["), "no ANSI escape codes on the console");
    assertFalse(printed.contains("Using incubator modules"), "the JDK's incubator notice is not shown");
    assertTrue(Files.exists(Paths.get(output, "_gte_model.json")));
    assertTrue(Files.exists(Paths.get(output, "_gte_metrics.json")));
    assertTrue(Files.exists(Paths.get(output, "_SUCCESS")));

    String tour = runInShell(tourBlock(readme));
    assertTrue(tour.matches("(?s).*\\n  0\\.9\\d{3}  On average, students take about 18 to 24 months.*"), tour);
    assertTrue(tour.matches("(?s).*\"query_id\":\"q1\",\"doc_id\":2,\"score\":[0-9.]+,\"rank\":1,"
        + "\"query_text\":\"why is my bread dough so dense\",\"doc_text\":\"Knead the bread dough.*"),
        "the bread question's best match is the bread text");
    assertTrue(tour.matches("(?s).*\"query_id\":\"q2\",\"doc_id\":17,\"score\":[0-9.]+,\"rank\":1,"
        + "\"query_text\":\"who won the match\",\"doc_text\":\"The striker scored.*"),
        "the match question's best match is the cup final");
    assertTrue(tour.contains("\"excludedNullVectors\" : 2"), tour);
  }
}
