package io.gtespark.job.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A benchmark corpus made from real English text that every Debian machine with a JDK has (the
 * licence texts in {@code /usr/share/common-licenses}, the JDK's legal notices, package
 * READMEs), with a skewed length distribution: 70% of documents have 5-30 words, 20% 30-80,
 * and 10% 150-600 words, past the 128-token max length. Deterministic for a seed and a
 * machine's set of source files.
 */
public final class CorpusGenerator {
  /** Where sentences come from when no source is given. */
  public static final List<String> DEFAULT_SOURCES = List.of(
      "/usr/share/common-licenses", System.getProperty("java.home") + "/legal", "/usr/share/doc");

  private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=[A-Z\"(])");
  private static final Pattern WORD = Pattern.compile("\\s+");

  private final List<String> sentences;

  private CorpusGenerator(List<String> sentences) {
    this.sentences = sentences;
  }

  /** Collects sentences from the text files under {@code sources}. */
  public static CorpusGenerator fromSources(List<String> sources) {
    Set<String> unique = new LinkedHashSet<>();
    for (Path file : textFiles(sources)) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException | UncheckedIOException e) {
        continue; // binary or unreadable: not prose
      }
      for (String s : SENTENCE_END.split(text.replaceAll("\\s+", " "))) {
        String t = s.trim();
        int words = WORD.split(t).length;
        if (words >= 3 && words <= 60 && t.chars().filter(Character::isLetter).count() > t.length() / 2) {
          unique.add(t);
        }
      }
    }
    if (unique.size() < 100) {
      throw new IllegalStateException("Found only " + unique.size() + " sentences under " + sources
          + "; pass --source with folders of English text files.");
    }
    return new CorpusGenerator(new ArrayList<>(unique));
  }

  private static List<Path> textFiles(List<String> sources) {
    List<Path> files = new ArrayList<>();
    for (String src : sources) {
      Path root = Paths.get(src);
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(root)) {
        files.addAll(s.filter(Files::isRegularFile)
            .filter(p -> {
              String n = p.getFileName().toString().toLowerCase();
              return !n.endsWith(".gz") && !n.endsWith(".html") && !n.endsWith(".png") && !n.endsWith(".jar")
                  && (n.startsWith("readme") || n.startsWith("copyright") || n.endsWith(".md") || n.endsWith(".txt")
                      || !n.contains("."));
            })
            .filter(p -> p.toFile().length() < 2_000_000)
            .sorted()
            .collect(Collectors.toList()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return files;
  }

  /** How many distinct sentences the sources gave. */
  public int sentenceCount() {
    return sentences.size();
  }

  /** Writes {@code docs} documents as JSON lines {@code {"id": n, "text": "..."}}. */
  public void write(Path output, int docs, long seed) throws IOException {
    Random rnd = new Random(seed);
    ObjectMapper json = new ObjectMapper();
    if (output.getParent() != null) {
      Files.createDirectories(output.getParent());
    }
    try (BufferedWriter w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
      for (int id = 1; id <= docs; id++) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("text", document(rnd));
        w.write(json.writeValueAsString(row));
        w.write('\n');
      }
    }
  }

  String document(Random rnd) {
    double p = rnd.nextDouble();
    int words = p < 0.7 ? 5 + rnd.nextInt(26) : p < 0.9 ? 30 + rnd.nextInt(51) : 150 + rnd.nextInt(451);
    StringBuilder sb = new StringBuilder();
    int at = rnd.nextInt(sentences.size());
    int count = 0;
    while (count < words) {
      for (String w : WORD.split(sentences.get(at))) {
        if (count == words) {
          break;
        }
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(w);
        count++;
      }
      at = (at + 1 + rnd.nextInt(3)) % sentences.size();
    }
    return sb.toString();
  }
}
