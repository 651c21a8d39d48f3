package io.gtespark.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.GteSparkMain;
import io.gtespark.udf.spark.GteConf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference is the one the code renders. After changing an option,
 * run this test with GTE_UPDATE_README=1 to rewrite the README section, and commit the result.
 */
class ConfigurationReferenceTest {
  private static final Path README = Paths.get("..", "README.md");

  @Test
  void readmeReferenceMatchesTheOptionsInTheCode() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int begin = readme.indexOf(ConfigurationReference.BEGIN);
    int end = readme.indexOf(ConfigurationReference.END);
    assertTrue(begin >= 0 && end > begin, "README.md has no configuration reference markers");
    String current = readme.substring(begin, end + ConfigurationReference.END.length() + 1);
    String rendered = ConfigurationReference.markdown(GteSparkMain.stages());
    if (!current.equals(rendered) && "1".equals(System.getenv("GTE_UPDATE_README"))) {
      Files.writeString(README, readme.substring(0, begin) + rendered
          + readme.substring(end + ConfigurationReference.END.length() + 1), StandardCharsets.UTF_8);
      return;
    }
    assertEquals(rendered, current, "README's configuration reference is stale: rerun this test with "
        + "GTE_UPDATE_README=1 (mvn -pl job test -Dtest=ConfigurationReferenceTest) and commit README.md");
  }

  @Test
  void everyEngineKeyIsDocumented() {
    Map<String, String> documented = ConfigurationReference.properties(GteSparkMain.stages());
    for (String key : GteConf.KEYS) {
      assertTrue(documented.containsKey(key), key + " is missing from the configuration reference");
    }
  }

  @Test
  void engineFlagsShowWhatAppliesWhenAbsent() {
    for (OptionSpec s : EngineOptions.specs()) {
      assertTrue(s.shownDefault() != null && !s.shownDefault().isEmpty(), s.flag() + " shows no default");
      assertEquals(null, s.defaultValue(), s.flag() + " must leave its property in force when absent");
    }
  }
}
