package io.gtespark.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageOptionsTest {
  private static final List<OptionSpec> SPECS = List.of(
      OptionSpec.required("--input", "spark.gte.input", "input"),
      OptionSpec.optional("--mode", "spark.gte.output.mode", "error", "mode"),
      OptionSpec.optional("--max-length", "spark.gte.maxLength", null, "max length"),
      OptionSpec.repeatable("--text-col", "spark.gte.textCols", true, "text"),
      OptionSpec.flag("--self", "spark.gte.self", "self"));

  private static StageOptions parse(Map<String, String> props, String... args) {
    return StageOptions.parse("embed", SPECS, args, props);
  }

  @Test
  void typosFindTheFlagTheyMeant() {
    List<String> flags = List.of("--text-col", "--id-col", "--output", "--output-format", "--max-length");
    assertEquals("--text-col", StageOptions.closest("--text-column", flags));
    assertEquals("--id-col", StageOptions.closest("--idcol", flags));
    assertEquals("--output-format", StageOptions.closest("--outputformat", flags));
    assertEquals("--max-length", StageOptions.closest("--max-len", flags));
    assertNull(StageOptions.closest("--partitions", flags));
  }

  @Test
  void flagBeatsPropertyBeatsDefault() {
    StageOptions o = parse(Map.of("spark.gte.output.mode", "append", "spark.gte.maxLength", "64"),
        "--input", "x", "--text-col", "a", "--max-length", "32");
    assertEquals("32", o.get("--max-length"));
    assertEquals("append", o.get("--mode"));
    assertEquals("error", parse(Map.of(), "--input", "x", "--text-col", "a").get("--mode"));
    assertNull(parse(Map.of(), "--input", "x", "--text-col", "a").get("--max-length"));
  }

  @Test
  void repeatableOptionsAndCommaSeparatedProperties() {
    assertEquals(List.of("a", "b"), parse(Map.of(), "--input", "x", "--text-col", "a", "--text-col", "b").getAll("--text-col"));
    assertEquals(List.of("a", "b"), parse(Map.of("spark.gte.textCols", "a, b"), "--input", "x").getAll("--text-col"));
  }

  @Test
  void equalsFormAndSwitches() {
    StageOptions o = parse(Map.of(), "--input=x", "--text-col=a", "--self");
    assertEquals("x", o.get("--input"));
    assertTrue(o.isOn("--self"));
  }

  @Test
  void mistakesAreUsageErrorsThatNameTheFlag() {
    UsageException unknown = assertThrows(UsageException.class, () -> parse(Map.of(), "--inptu", "x"));
    assertTrue(unknown.getMessage().contains("--inptu"));
    assertTrue(unknown.getMessage().contains("Did you mean --input?"), unknown.getMessage());
    UsageException unrelated = assertThrows(UsageException.class, () -> parse(Map.of(), "--colour", "x"));
    assertTrue(!unrelated.getMessage().contains("Did you mean"), unrelated.getMessage());
    UsageException noValue = assertThrows(UsageException.class, () -> parse(Map.of(), "--input"));
    assertTrue(noValue.getMessage().contains("needs a value"));
    UsageException twice = assertThrows(UsageException.class,
        () -> parse(Map.of(), "--input", "x", "--input", "y", "--text-col", "a"));
    assertTrue(twice.getMessage().contains("twice"));
    UsageException missing = assertThrows(UsageException.class, () -> parse(Map.of(), "--input", "x"));
    assertTrue(missing.getMessage().contains("--text-col") && missing.getMessage().contains("spark.gte.textCols"));
    UsageException notNumber = assertThrows(UsageException.class,
        () -> parse(Map.of(), "--input", "x", "--text-col", "a", "--max-length", "lots").getInt("--max-length"));
    assertTrue(notNumber.getMessage().contains("whole number"));
  }

  @Test
  void engineErrorsGetTheFlagBesideEachProperty() {
    List<OptionSpec> specs = EngineOptions.specs();
    assertEquals("spark.gte.longText.maxWindows must be >= 1; try --long-text (spark.gte.longText) window.",
        StageOptions.withFlags("spark.gte.longText.maxWindows must be >= 1; try spark.gte.longText window.",
            java.util.List.of(OptionSpec.optional("--long-text", "spark.gte.longText", null, "h"))));
    String m = StageOptions.withFlags("set spark.gte.maxLength to 512 or less.", specs);
    assertEquals("set --max-length (spark.gte.maxLength) to 512 or less.", m);
  }
}
