package io.gtespark.udf.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TextSanitizerTest {
  @Test
  void cleanTextIsReturnedAsIs() {
    String s = "plain text with emoji \uD83D\uDE00 and CJK 中文";
    assertSame(s, TextSanitizer.sanitize(s));
  }

  @Test
  void loneSurrogatesBecomeReplacementCharacters() {
    assertEquals("a\uFFFDb\uFFFD", TextSanitizer.sanitize("a\uD800b\uDC00"));
    assertEquals("\uD83D\uDE00\uFFFD", TextSanitizer.sanitize("\uD83D\uDE00\uD83D"));
  }

  @Test
  void prefixNeverSplitsAPair() {
    assertEquals("ab", TextSanitizer.prefix("ab\uD83D\uDE00", 3));
    assertEquals("ab\uD83D\uDE00", TextSanitizer.prefix("ab\uD83D\uDE00", 4));
  }
}
