package io.gtespark.udf.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a long token sequence into windows of at most {@code maxContent} tokens that end at
 * word boundaries (a word longer than a window is cut), for texts longer than the model's
 * max length. Each window is a {@code [from, to)} range of content-token positions.
 */
public final class WindowSplitter {
  private WindowSplitter() {}

  /** Window ranges over {@code text}'s content tokens; at most {@code maxWindows} of them. */
  public static List<int[]> split(TokenizedText text, int maxContent, int maxWindows) {
    long[] words = text.wordIds();
    int n = words.length;
    List<int[]> windows = new ArrayList<>();
    int start = 0;
    while (start < n && windows.size() < maxWindows) {
      int end = Math.min(n, start + maxContent);
      if (end < n) {
        int cut = end;
        while (cut > start && words[cut] == words[cut - 1]) {
          cut--;
        }
        if (cut > start) {
          end = cut;
        }
      }
      windows.add(new int[] {start, end});
      start = end;
    }
    return windows;
  }
}
