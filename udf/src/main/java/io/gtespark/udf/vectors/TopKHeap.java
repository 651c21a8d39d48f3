package io.gtespark.udf.vectors;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The K best (score, id) pairs seen so far: a min-heap whose head is the worst kept score, so
 * each offer costs O(log K) and memory stays K entries however many candidates pass by. Ties
 * on score keep the smaller id, so results are deterministic. Serializable, so that partial
 * top-K lists merge across a shuffle as a bounded aggregate.
 */
public final class TopKHeap implements Serializable {
  private static final long serialVersionUID = 1L;

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

  private final int k;
  private final PriorityQueue<Entry> heap;
  /** The worst kept score once the heap is full: anything below it is rejected at once. */
  private double floor = Double.NEGATIVE_INFINITY;

  public TopKHeap(int k) {
    this.k = k;
    this.heap = new PriorityQueue<>(k + 1, new WorseFirst());
  }

  /** The heap's order, serializable so that heaps travel through shuffles. */
  private static final class WorseFirst implements Comparator<Entry>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Entry a, Entry b) {
      return worseFirst(a, b);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int worseFirst(Entry a, Entry b) {
    int c = Double.compare(a.score, b.score);
    if (c != 0) {
      return c;
    }
    return ((Comparable) b.id).compareTo(a.id); // larger id is "worse" on ties
  }

  /** Keeps (score, id) if it is among the K best so far. */
  public void offer(double score, Object id) {
    if (heap.size() < k) {
      heap.add(new Entry(score, id));
    } else if (worseFirst(heap.peek(), new Entry(score, id)) < 0) {
      heap.poll();
      heap.add(new Entry(score, id));
    } else {
      return;
    }
    if (heap.size() == k) {
      floor = heap.peek().score;
    }
  }

  /** Quick reject: true when {@code score} cannot enter the heap. Called for every pair scored. */
  public boolean cannotEnter(double score) {
    return score < floor;
  }

  /** Adds every entry of {@code other}; returns this heap. */
  public TopKHeap merge(TopKHeap other) {
    for (Entry e : other.heap) {
      offer(e.score, e.id);
    }
    return this;
  }

  public boolean isEmpty() {
    return heap.isEmpty();
  }

  /** The kept entries, best first (score descending, then id ascending). */
  public List<Entry> best() {
    List<Entry> out = new ArrayList<>(heap);
    out.sort((a, b) -> worseFirst(b, a));
    return out;
  }
}
