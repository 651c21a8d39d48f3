package io.gtespark.job.cli;

import io.gtespark.job.Stage;
import io.gtespark.udf.spark.GteConf;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration reference in the README, rendered from the option specs themselves so that
 * it cannot drift from the code: every flag of every stage, its {@code spark.gte.*} property
 * and its default, then the properties that have no flag.
 */
public final class ConfigurationReference {
  /** The README lines between which the rendered reference stands. */
  public static final String BEGIN = "<!-- configuration reference: generated, see ConfigurationReferenceTest -->";
  public static final String END = "<!-- end of configuration reference -->";

  /** Engine settings with no command-line flag: property, default, meaning. */
  private static final String[][] PROPERTY_ONLY = {
      {GteConf.GPU_CONCURRENT_RUNS, String.valueOf(GteConf.GPU_CONCURRENT_RUNS_DEFAULT),
          "batches run at once on one GPU session (the executor's task slots share it)"},
      {GteConf.ORT_OPT_LEVEL, GteConf.ORT_OPT_LEVEL_DEFAULT,
          "ONNX Runtime graph optimisation: none, basic, extended or all"},
      {GteConf.ORT_MEMORY_PATTERN, GteConf.ORT_MEMORY_PATTERN_DEFAULT, "ONNX Runtime memory pattern optimisation"},
      {GteConf.ORT_CPU_ARENA, GteConf.ORT_CPU_ARENA_DEFAULT, "ONNX Runtime CPU memory arena"},
      {GteConf.SORT_BY_LENGTH, GteConf.SORT_BY_LENGTH_DEFAULT,
          "sort each chunk by token length before batching (false only to measure what sorting buys)"},
      {GteConf.PAD_TO_MAX_LENGTH, GteConf.PAD_TO_MAX_LENGTH_DEFAULT,
          "pad every batch to the max length (true only to measure what dynamic padding buys)"},
      {GteConf.SESSION_IDLE_TIMEOUT, String.valueOf(GteConf.SESSION_IDLE_TIMEOUT_DEFAULT),
          "seconds an unused ONNX session stays open in a long-lived JVM (notebook, Thrift, Connect); 0 = forever"},
  };

  private ConfigurationReference() {}

  /** The reference as Markdown, for the given stages in order. */
  public static String markdown(List<Stage> stages) {
    StringBuilder md = new StringBuilder();
    md.append(BEGIN).append('\n');
    md.append("Engine settings: every stage that embeds text takes these.\n\n");
    table(md, EngineOptions.specs());
    Set<String> engineFlags = new LinkedHashSet<>();
    EngineOptions.specs().forEach(s -> engineFlags.add(s.flag()));
    for (Stage stage : stages) {
      List<OptionSpec> own = new ArrayList<>();
      for (OptionSpec s : stage.options()) {
        if (!engineFlags.contains(s.flag())) {
          own.add(s);
        }
      }
      md.append("\n`").append(stage.name()).append("`: ").append(stage.summary()).append("\n\n");
      table(md, own);
    }
    md.append("\nProperties without a flag (set them in `conf/local.properties`, with `GTE_SPARK_CONF=file`,\n"
        + "or with `--conf` on a cluster):\n\n");
    md.append("| property | default | meaning |\n|---|---|---|\n");
    for (String[] p : PROPERTY_ONLY) {
      md.append("| `").append(p[0]).append("` | `").append(p[1]).append("` | ").append(p[2]).append(" |\n");
    }
    md.append(END).append('\n');
    return md.toString();
  }

  /** Every {@code spark.gte.*} property the reference names, with the options that set it. */
  public static Map<String, String> properties(List<Stage> stages) {
    Map<String, String> m = new LinkedHashMap<>();
    EngineOptions.specs().forEach(s -> m.put(s.property(), s.flag()));
    for (Stage stage : stages) {
      for (OptionSpec s : stage.options()) {
        if (s.property() != null) {
          m.putIfAbsent(s.property(), s.flag());
        }
      }
    }
    for (String[] p : PROPERTY_ONLY) {
      m.put(p[0], null);
    }
    return m;
  }

  private static void table(StringBuilder md, List<OptionSpec> specs) {
    md.append("| flag | property | default | meaning |\n|---|---|---|---|\n");
    for (OptionSpec s : specs) {
      String flag = "`" + s.flag() + (s.isSwitch() ? "" : " V") + "`" + (s.repeatable() ? " (repeatable)" : "");
      String property = s.property() == null ? "—" : "`" + s.property() + "`";
      String shown = s.required() ? "required" : s.shownDefault() == null ? "none" : "`" + s.shownDefault() + "`";
      md.append("| ").append(flag).append(" | ").append(property).append(" | ").append(shown).append(" | ")
          .append(s.help().replace("|", "\\|")).append(" |\n");
    }
  }
}
