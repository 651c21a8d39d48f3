package io.gtespark.job.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A stage's options parsed from its command line, with {@code spark.gte.*} properties as the
 * fallback: a flag on the command line wins over the property, which wins over the default.
 * Unknown flags are rejected, not ignored.
 */
public final class StageOptions {
  private final String stage;
  private final List<OptionSpec> specs;
  private final Map<String, List<String>> values;

  private StageOptions(String stage, List<OptionSpec> specs, Map<String, List<String>> values) {
    this.stage = stage;
    this.specs = specs;
    this.values = values;
  }

  /** Parses {@code args}; {@code properties} are the session's Spark properties. */
  public static StageOptions parse(String stage, List<OptionSpec> specs, String[] args, Map<String, String> properties) {
    Map<String, OptionSpec> byFlag = new LinkedHashMap<>();
    for (OptionSpec s : specs) {
      byFlag.put(s.flag(), s);
    }
    Map<String, List<String>> given = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      OptionSpec spec = byFlag.get(arg);
      if (spec == null) {
        String near = closest(arg, byFlag.keySet());
        throw new UsageException("Unknown option '" + arg + "' for stage '" + stage + "'."
            + (near == null ? "" : " Did you mean " + near + "?") + " Run '" + stage + " --help' for its options.");
      }
      if (spec.isSwitch()) {
        given.computeIfAbsent(spec.flag(), k -> new ArrayList<>()).add(value == null ? "true" : value);
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length || (args[i + 1].startsWith("--") && args[i + 1].length() > 2)) {
          throw new UsageException("Option " + arg + " needs a value.");
        }
        value = args[++i];
      }
      List<String> list = given.computeIfAbsent(spec.flag(), k -> new ArrayList<>());
      if (!spec.repeatable() && !list.isEmpty()) {
        throw new UsageException("Option " + arg + " was given twice; give it once.");
      }
      list.add(value);
    }
    Map<String, List<String>> resolved = new LinkedHashMap<>();
    for (OptionSpec s : specs) {
      List<String> v = given.get(s.flag());
      if (v == null && s.property() != null && properties.containsKey(s.property())) {
        String p = properties.get(s.property());
        v = s.repeatable()
            ? Arrays.stream(p.split(",")).map(String::trim).filter(x -> !x.isEmpty()).collect(Collectors.toList())
            : List.of(p.trim());
      }
      if (v == null && s.defaultValue() != null) {
        v = List.of(s.defaultValue());
      }
      if ((v == null || v.isEmpty()) && s.required()) {
        throw new UsageException("Stage '" + stage + "' needs " + s.flag() + " (or the property "
            + s.property() + "): " + s.help());
      }
      if (v != null) {
        resolved.put(s.flag(), List.copyOf(v));
      }
    }
    return new StageOptions(stage, specs, resolved);
  }

  /** The session's Spark properties, the fallback for flags not given on the command line. */
  public static Map<String, String> sessionProperties(org.apache.spark.sql.SparkSession spark) {
    Map<String, String> m = new java.util.HashMap<>();
    spark.conf().getAll().foreach(kv -> m.put(kv._1(), kv._2()));
    return m;
  }

  /** The value of a single-valued option, or null. */
  public String get(String flag) {
    List<String> v = values.get(flag);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** All values of an option (empty when absent). */
  public List<String> getAll(String flag) {
    return values.getOrDefault(flag, List.of());
  }

  /** A switch's value. */
  public boolean isOn(String flag) {
    return Boolean.parseBoolean(get(flag));
  }

  /**
   * {@code message} with each {@code spark.gte.*} property that has a flag in {@code specs} shown
   * as "--flag (property)": the engine names settings, the command line adds its flag names.
   */
  public static String withFlags(String message, List<OptionSpec> specs) {
    if (message == null) {
      return null;
    }
    String out = message;
    for (OptionSpec s : specs) {
      if (s.property() != null && s.flag() != null) {
        out = out.replaceAll(java.util.regex.Pattern.quote(s.property()) + "(?![A-Za-z0-9]|\\.[A-Za-z0-9])",
            java.util.regex.Matcher.quoteReplacement(s.flag() + " (" + s.property() + ")"));
      }
    }
    return out;
  }

  /** A long integer option (a seed, say), with the flag named in the error when it is not one. */
  public long getLong(String flag) {
    String v = get(flag);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException("Option " + flag + " must be a whole number, got '" + v + "'.");
    }
  }

  /** A decimal option, with the flag named in the error when it is not one. */
  public double getDouble(String flag) {
    String v = get(flag);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException | NullPointerException e) {
      throw new UsageException("Option " + flag + " must be a number, got '" + v + "'.");
    }
  }

  /** An integer option, with the flag named in the error when it is not one. */
  public int getInt(String flag) {
    String v = get(flag);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("Option " + flag + " must be a whole number, got '" + v + "'.");
    }
  }

  /** A value that must be one of {@code allowed}. */
  public String getChoice(String flag, String... allowed) {
    String v = get(flag);
    if (v != null && !Arrays.asList(allowed).contains(v)) {
      throw new UsageException("Option " + flag + " must be one of " + Arrays.toString(allowed) + ", got '" + v + "'.");
    }
    return v;
  }

  /** The known flag nearest to a mistyped one, if it is near enough to be a likely typo. */
  static String closest(String typed, Iterable<String> flags) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String f : flags) {
      int d = editDistance(typed, f);
      if (d < bestDistance) {
        best = f;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, best.length() / 3) ? best : null;
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  public String stage() {
    return stage;
  }

  /** The help text of a stage's options. */
  public static String help(String stage, String summary, List<OptionSpec> specs) {
    StringBuilder sb = new StringBuilder();
    sb.append("usage: ").append(stage).append(" [options]\n\n").append(summary).append("\n\noptions:\n");
    for (OptionSpec s : specs) {
      String left = "  " + s.flag() + (s.isSwitch() ? "" : " VALUE") + (s.repeatable() ? " (repeatable)" : "");
      sb.append(String.format("%-34s %s", left, s.help()));
      if (s.required()) {
        sb.append(" [required]");
      } else if (s.shownDefault() != null && !s.isSwitch()) {
        sb.append(" [default: ").append(s.shownDefault()).append(']');
      }
      if (s.property() != null) {
        sb.append("\n").append(String.format("%-34s property %s", "", s.property()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  List<OptionSpec> specs() {
    return specs;
  }
}
