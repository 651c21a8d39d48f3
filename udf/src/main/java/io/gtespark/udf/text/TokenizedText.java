package io.gtespark.udf.text;

/**
 * One text as token ids without the model's special tokens, the word each token belongs to,
 * and whether tokens were dropped to respect the max length.
 */
public final class TokenizedText {
  private final long[] contentIds;
  private final long[] wordIds;
  private final boolean truncated;

  TokenizedText(long[] contentIds, long[] wordIds, boolean truncated) {
    this.contentIds = contentIds;
    this.wordIds = wordIds;
    this.truncated = truncated;
  }

  /** Token ids of the text itself, special tokens excluded. */
  public long[] contentIds() {
    return contentIds;
  }

  /** For each content token, the index of the word it comes from. */
  public long[] wordIds() {
    return wordIds;
  }

  /** True when the text had more tokens than the max length allowed. */
  public boolean truncated() {
    return truncated;
  }

  /** True when the text produced no token at all (empty, whitespace, control characters). */
  public boolean isEmpty() {
    return contentIds.length == 0;
  }
}
