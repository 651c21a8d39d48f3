package io.gtespark.udf.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.gtespark.udf.model.ModelException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Turns text into model input ids with a Hugging Face {@code tokenizer.json} (DJL's native
 * binding). Thread-safe; one instance per tokenizer file is shared by the tasks of a JVM.
 *
 * <p>Special tokens are taken from the tokenizer's own template (what it adds around an empty
 * text), so truncation and windowing keep them for any BERT-family model.
 */
public final class TextTokenizer implements AutoCloseable {
  /**
   * Characters per kept token assumed when cutting a very long text before tokenising it. The
   * cut is only trusted when the kept tokens all come from words wholly inside the cut (see
   * {@link #tokenizeTruncated}), so this guess affects speed, never results.
   */
  static final int CHARS_PER_TOKEN_GUESS = 16;

  private final HuggingFaceTokenizer tokenizer;
  private final long[] prefix;
  private final long[] suffix;

  private TextTokenizer(HuggingFaceTokenizer tokenizer) {
    this.tokenizer = tokenizer;
    long[] empty = tokenizer.encode("").getIds();
    Encoding one = tokenizer.encode("a");
    long[] mask = one.getSpecialTokenMask();
    int lead = 0;
    while (lead < mask.length && mask[lead] == 1) {
      lead++;
    }
    lead = Math.min(lead, empty.length);
    this.prefix = Arrays.copyOfRange(empty, 0, lead);
    this.suffix = Arrays.copyOfRange(empty, lead, empty.length);
  }

  /** Opens {@code tokenizer.json}; padding and truncation are done by the engine, not here. */
  public static TextTokenizer open(Path tokenizerJson) {
    try {
      return new TextTokenizer(
          HuggingFaceTokenizer.newInstance(
              tokenizerJson,
              Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true")));
    } catch (Exception | UnsatisfiedLinkError e) {
      throw new ModelException(
          "Cannot load the tokenizer " + tokenizerJson + " (" + e.getClass().getSimpleName() + ": "
              + e.getMessage() + "). It must be the tokenizer.json of the model's Hugging Face export.",
          e);
    }
  }

  /** Number of special tokens the model adds around every sequence. */
  public int specialTokenCount() {
    return prefix.length + suffix.length;
  }

  /** Every token of the text (no max length). */
  public TokenizedText tokenize(String text) {
    return content(tokenizer.encode(TextSanitizer.sanitize(text)), Integer.MAX_VALUE);
  }

  /**
   * The first {@code maxContent} tokens of the text, flagged when more existed. Very long texts
   * are first cut to a prefix; the prefix's tokens are used only when the kept ones all belong
   * to words that end before the cut (BERT tokenisation is local to words), else the whole text
   * is tokenised. The result is identical either way.
   */
  public TokenizedText tokenizeTruncated(String text, int maxContent) {
    long guess = (long) maxContent * CHARS_PER_TOKEN_GUESS;
    if (text.length() > guess) {
      TokenizedText head =
          content(tokenizer.encode(TextSanitizer.sanitize(TextSanitizer.prefix(text, (int) guess))),
              Integer.MAX_VALUE);
      if (completeWordTokens(head) >= maxContent) {
        return new TokenizedText(
            Arrays.copyOf(head.contentIds(), maxContent),
            Arrays.copyOf(head.wordIds(), maxContent),
            true);
      }
    }
    return content(tokenizer.encode(TextSanitizer.sanitize(text)), maxContent);
  }

  private static int completeWordTokens(TokenizedText t) {
    long[] words = t.wordIds();
    int n = words.length;
    if (n == 0) {
      return 0;
    }
    long last = words[n - 1];
    int i = n;
    while (i > 0 && words[i - 1] == last) {
      i--;
    }
    return i;
  }

  private TokenizedText content(Encoding e, int maxContent) {
    long[] ids = e.getIds();
    long[] words = e.getWordIds();
    int from = Math.min(prefix.length, ids.length);
    int to = Math.max(from, ids.length - suffix.length);
    int kept = Math.min(to - from, maxContent);
    return new TokenizedText(
        Arrays.copyOfRange(ids, from, from + kept),
        Arrays.copyOfRange(words, from, from + kept),
        to - from > maxContent);
  }

  /** The model input for some content tokens: the special tokens around them. */
  public long[] withSpecialTokens(long[] contentIds, int from, int to) {
    long[] out = new long[prefix.length + (to - from) + suffix.length];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    System.arraycopy(contentIds, from, out, prefix.length, to - from);
    System.arraycopy(suffix, 0, out, prefix.length + (to - from), suffix.length);
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
