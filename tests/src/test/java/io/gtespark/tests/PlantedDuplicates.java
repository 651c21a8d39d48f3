package io.gtespark.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A labelled near-duplicate fixture made from the shipped sample: every document with text gets
 * one planted variant (id + 1000) of one of seven kinds, by id: case, punctuation, whitespace,
 * a dropped word, a prefix, a suffix, an exact copy. The null and blank rows stay as they are.
 */
final class PlantedDuplicates {
  static final String[] KINDS = {"case", "punctuation", "whitespace", "dropped word", "prefix", "suffix", "copy"};
  private static final Pattern LINE = Pattern.compile(
      "\\{\"id\": (\\d+), \"topic\": \"([^\"]*)\", \"text\": (null|\"((?:[^\"\\\\]|\\\\.)*)\")\\}");

  /** Planted pairs: variant id to original id. */
  final Map<Long, Long> variantOf = new LinkedHashMap<>();
  /** The kind of each variant. */
  final Map<Long, String> kindOf = new LinkedHashMap<>();
  final int rows;

  private PlantedDuplicates(int rows) {
    this.rows = rows;
  }

  /** Writes the fixture as JSON lines (id, topic, text) to {@code out}. */
  static PlantedDuplicates write(Path sample, Path out) throws IOException {
    List<String> lines = new ArrayList<>();
    List<long[]> pairs = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (String line : Files.readAllLines(sample, StandardCharsets.UTF_8)) {
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        throw new IllegalStateException("Unexpected sample line shape: " + line.length() + " characters");
      }
      lines.add(line.trim());
      long id = Long.parseLong(m.group(1));
      String text = m.group(4);
      if (text == null || text.isBlank()) {
        continue;
      }
      int kind = (int) (id % KINDS.length);
      lines.add("{\"id\": " + (id + 1000) + ", \"topic\": \"" + m.group(2) + "\", \"text\": \""
          + variant(text, kind) + "\"}");
      pairs.add(new long[] {id + 1000, id});
      kinds.add(KINDS[kind]);
    }
    Files.write(out, lines, StandardCharsets.UTF_8);
    PlantedDuplicates p = new PlantedDuplicates(lines.size());
    for (int i = 0; i < pairs.size(); i++) {
      p.variantOf.put(pairs.get(i)[0], pairs.get(i)[1]);
      p.kindOf.put(pairs.get(i)[0], kinds.get(i));
    }
    return p;
  }

  private static String variant(String text, int kind) {
    switch (kind) {
      case 0:
        return text.toUpperCase();
      case 1:
        return text.replaceAll("[.,;:!?']", "");
      case 2:
        return "  " + text.replace(" ", "   ") + "  ";
      case 3:
        String[] words = text.split(" ");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words.length; i++) {
          if (i != words.length / 2) {
            b.append(b.length() == 0 ? "" : " ").append(words[i]);
          }
        }
        return b.toString();
      case 4:
        return "Update: " + text;
      case 5:
        return text + " Read more on our site.";
      default:
        return text;
    }
  }
}
