package io.gtespark.job.cli;

/**
 * One command-line option: its flag, the {@code spark.gte.*} property that can set it instead,
 * its default (null = required or absent), whether it repeats, and its help line.
 */
public final class OptionSpec {
  private final String flag;
  private final String property;
  private final String defaultValue;
  private final boolean repeatable;
  private final boolean required;
  private final String help;
  private final String shownDefault;

  private OptionSpec(String flag, String property, String defaultValue, boolean repeatable, boolean required,
      String help, String shownDefault) {
    this.flag = flag;
    this.property = property;
    this.defaultValue = defaultValue;
    this.repeatable = repeatable;
    this.required = required;
    this.help = help;
    this.shownDefault = shownDefault;
  }

  /** An optional option with a default (null = none). */
  public static OptionSpec optional(String flag, String property, String defaultValue, String help) {
    return new OptionSpec(flag, property, defaultValue, false, false, help, null);
  }

  /** An option that must be given, on the command line or as its property. */
  public static OptionSpec required(String flag, String property, String help) {
    return new OptionSpec(flag, property, null, false, true, help, null);
  }

  /** An option that may be given several times (its property holds a comma-separated list). */
  public static OptionSpec repeatable(String flag, String property, boolean required, String help) {
    return new OptionSpec(flag, property, null, true, required, help, null);
  }

  /** A flag without a value, such as {@code --self}. */
  public static OptionSpec flag(String flag, String property, String help) {
    return new OptionSpec(flag, property, "false", false, false, help, null);
  }

  /**
   * An option whose absence leaves its property (or the model profile) in force: it has no
   * default of its own, but {@code shownDefault} says in help and docs what applies then.
   */
  public static OptionSpec deferring(String flag, String property, String shownDefault, String help) {
    return new OptionSpec(flag, property, null, false, false, help, shownDefault);
  }

  /** What applies when the option is absent, as help and docs show it (null: nothing). */
  public String shownDefault() {
    if (required) {
      return null;
    }
    if (shownDefault != null) {
      return shownDefault;
    }
    if (isSwitch()) {
      return "off";
    }
    return defaultValue == null ? null : defaultValue.isEmpty() ? "the model's own" : defaultValue;
  }

  public String flag() {
    return flag;
  }

  public String property() {
    return property;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public boolean repeatable() {
    return repeatable;
  }

  public boolean required() {
    return required;
  }

  /** True for a switch that takes no value. */
  public boolean isSwitch() {
    return "false".equals(defaultValue) && !required && !repeatable;
  }

  public String help() {
    return help;
  }
}
