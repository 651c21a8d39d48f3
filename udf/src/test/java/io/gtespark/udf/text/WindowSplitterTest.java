package io.gtespark.udf.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WindowSplitterTest {
  private static TokenizedText text(long... words) {
    return new TokenizedText(new long[words.length], words, false);
  }

  @Test
  void windowsEndAtWordBoundaries() {
    // words: 0 0 1 1 1 2 3 3 -> max 4 per window must not cut word 1
    List<int[]> w = WindowSplitter.split(text(0, 0, 1, 1, 1, 2, 3, 3), 4, 10);
    assertEquals(3, w.size());
    assertArrayEquals(new int[] {0, 2}, w.get(0));
    assertArrayEquals(new int[] {2, 6}, w.get(1));
    assertArrayEquals(new int[] {6, 8}, w.get(2));
  }

  @Test
  void wordLongerThanWindowIsCut() {
    List<int[]> w = WindowSplitter.split(text(0, 0, 0, 0, 0), 2, 10);
    assertEquals(3, w.size());
    assertArrayEquals(new int[] {4, 5}, w.get(2));
  }

  @Test
  void windowCountIsCapped() {
    assertEquals(2, WindowSplitter.split(text(0, 1, 2, 3, 4, 5), 1, 2).size());
  }
}
