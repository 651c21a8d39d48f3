package io.gtespark.udf;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Parses a setting whose value names an enum constant, case-insensitively, with a helpful error. */
public final class EnumSetting {
  private EnumSetting() {}

  /**
   * The constant of {@code type} named {@code value}; otherwise an error naming {@code setting}
   * and listing the allowed values in lower case.
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String value, String setting, String what) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT);
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(v)) {
          return e;
        }
      }
    }
    String allowed = Arrays.stream(type.getEnumConstants()).map(e -> "'" + e.name().toLowerCase(Locale.ROOT) + "'")
        .collect(Collectors.joining(", "));
    throw new SettingException("Unknown " + what + " '" + value + "' in " + setting + ": use " + allowed + ".");
  }
}
