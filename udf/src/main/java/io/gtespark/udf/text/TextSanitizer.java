package io.gtespark.udf.text;

/**
 * Makes any Java string safe for the native tokenizer: unpaired UTF-16 surrogates (which have
 * no UTF-8 form) become U+FFFD. Strings without them are returned as they are, unallocated.
 */
public final class TextSanitizer {
  private TextSanitizer() {}

  /** The text with every lone surrogate replaced by U+FFFD. */
  public static String sanitize(String text) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        i += 2;
      } else if (Character.isSurrogate(c)) {
        break;
      } else {
        i++;
      }
    }
    if (i == n) {
      return text;
    }
    StringBuilder sb = new StringBuilder(n);
    sb.append(text, 0, i);
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        sb.append(c).append(text.charAt(i + 1));
        i += 2;
      } else {
        sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
        i++;
      }
    }
    return sb.toString();
  }

  /** A prefix of at most {@code maxChars} chars that does not split a surrogate pair. */
  public static String prefix(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int end = maxChars;
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end);
  }
}
