package io.gtespark.udf.encode;

import io.gtespark.udf.EnumSetting;

/**
 * What a text that yields no tokens (empty, whitespace only, control characters only) becomes.
 * The default is a null vector: a vector of nothing would score as a perfect near-duplicate of
 * every other empty row.
 */
public enum EmptyTextMode {
  /** A null vector, counted as empty. */
  NULL,
  /** The model's vector for the bare special tokens, counted as empty. */
  EMBED;

  /** Parses {@code null} or {@code embed}. */
  public static EmptyTextMode parse(String value, String setting) {
    return EnumSetting.parse(EmptyTextMode.class, value, setting, "empty-text mode");
  }
}
