package io.gtespark.job.dedup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keep rule as one sequential pass over a group: members are visited in keep order, and a
 * member is removed when a member already kept is its near-duplicate; otherwise it is kept. (The
 * first member is always kept.) This is the rule's definition; {@link KeepRounds} reaches the same
 * result in rounds over the pairs for groups too large for one task, and this pass decides the rest.
 */
public final class GreedyKeep {
  /** A candidate pair that cleared the threshold. */
  public static final class Edge implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object a;
    final Object b;
    final double score;

    public Edge(Object a, Object b, double score) {
      this.a = a;
      this.b = b;
      this.score = score;
    }
  }

  private GreedyKeep() {}

  /**
   * The ids among {@code members} that are kept, given the pairs among them ({@code edges}; a
   * pair with an end outside {@code members} is ignored: that end was decided as removed).
   */
  public static Set<Object> kept(List<KeepRank> members, List<Edge> edges) {
    List<KeepRank> order = new ArrayList<>(members);
    order.sort(null);
    Map<Object, Integer> position = new HashMap<>();
    for (int p = 0; p < order.size(); p++) {
      position.put(order.get(p).id, p);
    }
    // For each member, the positions of its near-duplicates that come before it.
    List<List<Integer>> earlier = new ArrayList<>(order.size());
    for (int p = 0; p < order.size(); p++) {
      earlier.add(new ArrayList<>(2));
    }
    for (Edge e : edges) {
      Integer a = position.get(e.a);
      Integer b = position.get(e.b);
      if (a != null && b != null && !a.equals(b)) {
        earlier.get(Math.max(a, b)).add(Math.min(a, b));
      }
    }
    boolean[] isKept = new boolean[order.size()];
    Set<Object> out = new HashSet<>();
    for (int p = 0; p < order.size(); p++) {
      isKept[p] = true;
      for (int q : earlier.get(p)) {
        if (isKept[q]) {
          isKept[p] = false;
          break;
        }
      }
      if (isKept[p]) {
        out.add(order.get(p).id);
      }
    }
    return out;
  }
}
