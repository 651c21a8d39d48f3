package io.gtespark.udf.encode;

import io.gtespark.udf.EnumSetting;

/** What happens to a text with more tokens than the max length. */
public enum LongTextMode {
  /** Keep the first max-length tokens (counted as a truncation). */
  TRUNCATE,
  /** Embed word-aligned windows of max length and average them, weighted by tokens. */
  WINDOW;

  /** Parses {@code truncate} or {@code window}. */
  public static LongTextMode parse(String value, String setting) {
    return EnumSetting.parse(LongTextMode.class, value, setting, "long-text mode");
  }
}
