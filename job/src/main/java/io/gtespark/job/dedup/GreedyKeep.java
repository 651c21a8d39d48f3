package io.gtespark.job.dedup;

import io.gtespark.udf.encode.VectorMath;
import io.gtespark.udf.vectors.VectorRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The keep decision inside one connected group of near-duplicates, run in one task: members are
 * visited in keep order, and a member is removed when some already kept member scores at or above
 * the threshold with it (it then points at the best-scoring one); otherwise it is kept. The first
 * member is always kept and names the group.
 */
public final class GreedyKeep {
  /** A row of the group: its id, the rule's sort key (smaller first) and its unit vector. */
  public static final class Member implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object id;
    final double order;
    final float[] vector;

    /**
     * {@code vector} as stored (scaled here, in place, to unit length: a table embedded with
     * --normalize false must rank by direction, not by length); null when the rule needs none.
     */
    public Member(Object id, double order, float[] vector) {
      this.id = id;
      this.order = order;
      this.vector = vector == null ? null : VectorRows.unit(vector, id);
    }
  }

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

  /** The decision for one member: {@code duplicateOf} null when kept; {@code group} is the first member's id. */
  public static final class Decision {
    public final Object id;
    public final Object duplicateOf;
    public final Double score;
    public final Object group;

    Decision(Object id, Object duplicateOf, Double score, Object group) {
      this.id = id;
      this.duplicateOf = duplicateOf;
      this.score = score;
      this.group = group;
    }
  }

  private GreedyKeep() {}

  /** Decides every member of one group. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static List<Decision> decide(List<Member> members, List<Edge> edges, KeepRule rule) {
    double[] key = new double[members.size()];
    if (rule == KeepRule.CENTRE) {
      float[] mean = new float[members.get(0).vector.length];
      for (Member m : members) {
        for (int i = 0; i < mean.length; i++) {
          mean[i] += m.vector[i];
        }
      }
      for (int i = 0; i < key.length; i++) {
        key[i] = -VectorMath.dot(members.get(i).vector, mean);
      }
    } else {
      for (int i = 0; i < key.length; i++) {
        key[i] = members.get(i).order;
      }
    }
    Integer[] order = new Integer[members.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> key[i])
        .thenComparing(i -> (Comparable) members.get(i).id));
    int[] position = new int[order.length];
    Map<Object, Integer> index = new HashMap<>();
    for (int p = 0; p < order.length; p++) {
      position[order[p]] = p;
      index.put(members.get(order[p]).id, order[p]);
    }
    List<List<double[]>> neighbours = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      neighbours.add(new ArrayList<>());
    }
    for (Edge e : edges) {
      Integer a = index.get(e.a);
      Integer b = index.get(e.b);
      if (a != null && b != null && !a.equals(b)) {
        neighbours.get(a).add(new double[] {b, e.score});
        neighbours.get(b).add(new double[] {a, e.score});
      }
    }
    boolean[] kept = new boolean[members.size()];
    Object group = members.get(order[0]).id;
    List<Decision> out = new ArrayList<>(members.size());
    for (int p = 0; p < order.length; p++) {
      int i = order[p];
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (double[] n : neighbours.get(i)) {
        int j = (int) n[0];
        // The best-scoring kept neighbour; on a tie the one earlier in keep order.
        if (kept[j] && (n[1] > bestScore || (n[1] == bestScore && position[j] < position[best]))) {
          best = j;
          bestScore = n[1];
        }
      }
      if (best < 0) {
        kept[i] = true;
        out.add(new Decision(members.get(i).id, null, null, group));
      } else {
        out.add(new Decision(members.get(i).id, members.get(best).id, bestScore, group));
      }
    }
    return out;
  }
}
