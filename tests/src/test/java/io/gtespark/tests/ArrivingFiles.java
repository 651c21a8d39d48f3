package io.gtespark.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON-lines records with ids and texts, and files that arrive whole in a folder a stream watches. */
final class ArrivingFiles {
  private ArrivingFiles() {}

  /** One JSON line per id from {@code from} to {@code to}: {"id": i, "text": "record i WORDS"}. */
  static List<String> records(int from, int to, String words) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      lines.add("{\"id\": " + i + ", \"text\": \"record " + i + " " + words + "\"}");
    }
    return lines;
  }

  /** Writes {@code lines} beside {@code dir} (in {@code staging}), then moves them in: a stream never sees half a file. */
  static void add(Path staging, Path dir, String name, List<String> lines) throws IOException {
    Path tmp = staging.resolve(name + ".tmp");
    Files.write(tmp, lines, StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve(name));
  }
}
