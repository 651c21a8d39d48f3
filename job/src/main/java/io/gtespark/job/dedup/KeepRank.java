package io.gtespark.job.dedup;

import java.io.Serializable;

/**
 * A member's place in its group's keep order: the rule's key (smaller first), then the id
 * (ascending) so that every order is total and the same on every run.
 */
public final class KeepRank implements Serializable, Comparable<KeepRank> {
  private static final long serialVersionUID = 1L;
  final double key;
  final Object id;

  /** {@code key}: the {@link KeepRule}'s sort key of row {@code id}. */
  public KeepRank(double key, Object id) {
    this.key = key;
    this.id = id;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public int compareTo(KeepRank o) {
    int c = Double.compare(key, o.key);
    return c != 0 ? c : ((Comparable) id).compareTo(o.id);
  }

  /** The earlier of two ranks. */
  static KeepRank first(KeepRank a, KeepRank b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeepRank && compareTo((KeepRank) o) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(key) * 31 + id.hashCode();
  }

  @Override
  public String toString() {
    return id + "@" + key;
  }
}
