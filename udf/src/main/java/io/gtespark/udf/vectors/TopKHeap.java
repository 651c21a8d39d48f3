package io.gtespark.udf.vectors;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The K best (score, id) pairs seen so far: a binary min-heap on two arrays whose root is the
 * worst kept pair, so an offer costs O(log K), a rejected one a single comparison, and memory
 * stays K entries however many candidates pass by. Ties on score keep the smaller id, so results
 * are deterministic. Serializable, so that partial top-K lists merge across a shuffle as a
 * bounded aggregate.
 */
public final class TopKHeap implements Serializable {
  private static final long serialVersionUID = 2L;

  /** One kept candidate. */
  public static final class Entry implements Serializable {
    private static final long serialVersionUID = 1L;
    public final double score;
    public final Object id;

    Entry(double score, Object id) {
      this.score = score;
      this.id = id;
    }
  }

  private final double[] scores;
  private final Object[] ids;
  private int size;

  public TopKHeap(int k) {
    this.scores = new double[k];
    this.ids = new Object[k];
  }

  /** True when (sa, ia) ranks below (sb, ib): a lower score, or the same score and a larger id. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean worse(double sa, Object ia, double sb, Object ib) {
    if (sa != sb) {
      return sa < sb;
    }
    return ((Comparable) ia).compareTo(ib) > 0;
  }

  /**
   * Keeps (score, id) if it is among the K best so far. An id already kept is not added again:
   * a search may meet the same pair twice (from either side of a self search, or in two scans).
   */
  public void offer(double score, Object id) {
    int k = scores.length;
    if (k == 0 || size == k && !worse(scores[0], ids[0], score, id)) {
      return;
    }
    for (int i = 0; i < size; i++) {
      if (ids[i].equals(id)) {
        return;
      }
    }
    if (size < k) {
      int i = size++;
      while (i > 0) { // sift up
        int parent = (i - 1) >>> 1;
        if (!worse(score, id, scores[parent], ids[parent])) {
          break;
        }
        scores[i] = scores[parent];
        ids[i] = ids[parent];
        i = parent;
      }
      scores[i] = score;
      ids[i] = id;
      return;
    }
    int i = 0; // replace the root and sift down
    while (true) {
      int left = 2 * i + 1;
      if (left >= size) {
        break;
      }
      int right = left + 1;
      int child = right < size && worse(scores[right], ids[right], scores[left], ids[left]) ? right : left;
      if (!worse(scores[child], ids[child], score, id)) {
        break;
      }
      scores[i] = scores[child];
      ids[i] = ids[child];
      i = child;
    }
    scores[i] = score;
    ids[i] = id;
  }

  /** Quick reject: true when {@code score} cannot enter the heap (it is below the {@link #floor}, or K is 0). */
  public boolean cannotEnter(double score) {
    return scores.length == 0 || score < floor();
  }

  /**
   * The lowest score that may still enter: minus infinity while the heap has room, the worst
   * kept score once full, plus infinity for K = 0. A score below it {@link #cannotEnter}; a
   * scan may keep it in a local and refresh it after each offer.
   */
  public double floor() {
    return size < scores.length ? Double.NEGATIVE_INFINITY
        : scores.length == 0 ? Double.POSITIVE_INFINITY : scores[0];
  }

  /** Adds every entry of {@code other}; returns this heap. */
  public TopKHeap merge(TopKHeap other) {
    for (int i = 0; i < other.size; i++) {
      offer(other.scores[i], other.ids[i]);
    }
    return this;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** K, the most entries this heap keeps. */
  public int capacity() {
    return scores.length;
  }

  /** Entries kept, at most K. */
  public int size() {
    return size;
  }

  /** The score of entry {@code i} in heap order (entry 0 is the worst kept); {@link #best} gives them ranked. */
  public double scoreAt(int i) {
    return scores[checked(i)];
  }

  /** The id of entry {@code i} in heap order. */
  public Object idAt(int i) {
    return ids[checked(i)];
  }

  private int checked(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("entry " + i + " of a heap holding " + size);
    }
    return i;
  }

  /** The kept entries, best first (score descending, then id ascending). */
  public List<Entry> best() {
    List<Entry> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new Entry(scores[i], ids[i]));
    }
    out.sort((a, b) -> worse(a.score, a.id, b.score, b.id) ? 1 : worse(b.score, b.id, a.score, a.id) ? -1 : 0);
    return out;
  }
}
