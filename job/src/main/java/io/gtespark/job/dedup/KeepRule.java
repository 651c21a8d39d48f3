package io.gtespark.job.dedup;

import io.gtespark.job.cli.UsageException;
import java.util.Locale;

/**
 * Which row of a near-duplicate group survives: the rows of a group are visited in this order
 * (ties broken by id, ascending), and each is kept unless it scores at or above the threshold
 * against a row already kept.
 */
public enum KeepRule {
  /** The smallest id first. */
  FIRST,
  /** The longest text first (needs the text column). */
  LONGEST,
  /** The row nearest the group's mean direction first: the most typical member. */
  CENTRE;

  /** Parses a {@code --keep} value. */
  public static KeepRule parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT).replace("CENTER", "CENTRE"));
    } catch (IllegalArgumentException e) {
      throw new UsageException("Unknown --keep rule '" + value + "'; use first, longest or centre.");
    }
  }
}
