package io.gtespark.job.similarity;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The K best (score, id) pairs seen so far: a min-heap whose head is the worst kept score, so
 * each offer costs O(log K) and memory stays K entries however many candidates pass by. Ties
 * on score keep the smaller id, so results are deterministic.
 */
final class TopKHeap {
  /** One kept candidate. */
  static final class Entry {
    final double score;
    final Object id;

    Entry(double score, Object id) {
      this.score = score;
      this.id = id;
    }
  }

  private final int k;
  private final PriorityQueue<Entry> heap;
  /** The worst kept score once the heap is full: anything below it is rejected at once. */
  private double floor = Double.NEGATIVE_INFINITY;

  TopKHeap(int k) {
    this.k = k;
    this.heap = new PriorityQueue<>(k + 1, TopKHeap::worseFirst);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int worseFirst(Entry a, Entry b) {
    int c = Double.compare(a.score, b.score);
    if (c != 0) {
      return c;
    }
    return ((Comparable) b.id).compareTo(a.id); // larger id is "worse" on ties
  }

  void offer(double score, Object id) {
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
  boolean cannotEnter(double score) {
    return score < floor;
  }

  List<Entry> entries() {
    return new ArrayList<>(heap);
  }
}
