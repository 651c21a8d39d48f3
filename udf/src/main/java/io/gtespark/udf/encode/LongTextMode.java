package io.gtespark.udf.encode;

import java.util.Locale;

/** What happens to a text with more tokens than the max length. */
public enum LongTextMode {
  /** Keep the first max-length tokens (counted as a truncation). */
  TRUNCATE,
  /** Embed word-aligned windows of max length and average them, weighted by tokens. */
  WINDOW;

  /** Parses {@code truncate} or {@code window}. */
  public static LongTextMode parse(String value, String setting) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT);
      for (LongTextMode m : values()) {
        if (m.name().equals(v)) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException(
        "Unknown long-text mode '" + value + "' in " + setting + ": use 'truncate' or 'window'.");
  }
}
