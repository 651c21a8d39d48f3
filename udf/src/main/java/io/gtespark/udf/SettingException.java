package io.gtespark.udf;

/**
 * A setting or column choice that cannot work (an unknown value, a number out of range, a column
 * that is missing or of the wrong type). The message names the {@code spark.gte.*} property or
 * Transformer param and says what to do; the command line adds its flag names.
 */
public class SettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public SettingException(String message) {
    super(message);
  }
}
