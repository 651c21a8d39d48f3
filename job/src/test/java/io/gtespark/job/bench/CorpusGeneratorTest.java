package io.gtespark.job.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusGeneratorTest {
  @TempDir
  Path dir;

  private List<String> source() throws Exception {
    Random rnd = new Random(1);
    String[] words = {"the", "river", "carries", "data", "through", "every", "valley", "and", "town", "slowly"};
    StringBuilder sb = new StringBuilder();
    for (int s = 0; s < 400; s++) {
      sb.append("Sentence").append(s);
      for (int w = 0; w < 4 + rnd.nextInt(20); w++) {
        sb.append(' ').append(words[rnd.nextInt(words.length)]);
      }
      sb.append(". ");
    }
    Files.writeString(dir.resolve("README"), sb.toString(), StandardCharsets.UTF_8);
    return List.of(dir.toString());
  }

  @Test
  void sameSeedSameCorpusAndASkewedLengthDistribution() throws Exception {
    CorpusGenerator g = CorpusGenerator.fromSources(source());
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    g.write(a, 2000, 42);
    g.write(b, 2000, 42);
    assertEquals(Files.readString(a), Files.readString(b));
    List<Integer> lengths = new ArrayList<>();
    for (String line : Files.readAllLines(a)) {
      String text = line.replaceAll(".*\"text\":\"(.*)\"}", "$1");
      lengths.add(text.split(" ").length);
    }
    assertEquals(2000, lengths.size());
    long shortDocs = lengths.stream().filter(n -> n >= 5 && n <= 30).count();
    long longDocs = lengths.stream().filter(n -> n >= 150).count();
    assertTrue(shortDocs > 1200 && shortDocs < 1600, "short docs: " + shortDocs);
    assertTrue(longDocs > 100 && longDocs < 300, "long tail: " + longDocs);
    Path c = dir.resolve("c.jsonl");
    g.write(c, 2000, 43);
    assertTrue(!Files.readString(a).equals(Files.readString(c)), "another seed, another corpus");
  }

  @Test
  void tooLittleTextIsAClearError() throws Exception {
    Files.writeString(dir.resolve("README"), "One sentence only here.");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CorpusGenerator.fromSources(List.of(dir.toString())));
    assertTrue(e.getMessage().contains("--source"));
  }
}
