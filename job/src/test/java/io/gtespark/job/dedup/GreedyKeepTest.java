package io.gtespark.job.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GreedyKeepTest {
  private static GreedyKeep.Member member(long id, double order, float... v) {
    return new GreedyKeep.Member(id, order, v);
  }

  private static Map<Object, GreedyKeep.Decision> byId(List<GreedyKeep.Decision> decisions) {
    Map<Object, GreedyKeep.Decision> m = new HashMap<>();
    decisions.forEach(d -> m.put(d.id, d));
    return m;
  }

  @Test
  void aChainKeepsItsEndsWhenTheyAreNotDuplicatesOfEachOther() {
    // 1 ~ 2 and 2 ~ 3, but 1 and 3 were never a pair: 2 goes, 3 stays (its only neighbour was removed).
    Map<Object, GreedyKeep.Decision> d = byId(GreedyKeep.decide(
        List.of(member(3, 0), member(1, 0), member(2, 0)),
        List.of(new GreedyKeep.Edge(1L, 2L, 0.95), new GreedyKeep.Edge(2L, 3L, 0.93)), KeepRule.FIRST));
    assertNull(d.get(1L).duplicateOf);
    assertEquals(1L, d.get(2L).duplicateOf);
    assertEquals(0.95, d.get(2L).score);
    assertNull(d.get(3L).duplicateOf);
    assertEquals(1L, d.get(3L).group, "the group is named by its first row");
  }

  @Test
  void aRemovedRowPointsAtItsBestScoringKeptRowAndTiesGoToTheEarlierOne() {
    Map<Object, GreedyKeep.Decision> d = byId(GreedyKeep.decide(
        List.of(member(1, 0), member(2, 0), member(3, 0)),
        List.of(new GreedyKeep.Edge(1L, 3L, 0.91), new GreedyKeep.Edge(2L, 3L, 0.97)), KeepRule.FIRST));
    assertEquals(2L, d.get(3L).duplicateOf);
    Map<Object, GreedyKeep.Decision> tie = byId(GreedyKeep.decide(
        List.of(member(1, 0), member(2, 0), member(3, 0)),
        List.of(new GreedyKeep.Edge(2L, 3L, 0.95), new GreedyKeep.Edge(1L, 3L, 0.95)), KeepRule.FIRST));
    assertEquals(1L, tie.get(3L).duplicateOf);
  }

  @Test
  void longestAndCentreChooseWhoStays() {
    // LONGEST: the order key is minus the text length, so the longer text (id 2) stays.
    Map<Object, GreedyKeep.Decision> longest = byId(GreedyKeep.decide(
        List.of(member(1, -10), member(2, -30)), List.of(new GreedyKeep.Edge(1L, 2L, 0.99)), KeepRule.LONGEST));
    assertEquals(2L, longest.get(1L).duplicateOf);
    // CENTRE: id 2 lies between 1 and 3, nearest their mean; it stays and both others point at it.
    Map<Object, GreedyKeep.Decision> centre = byId(GreedyKeep.decide(
        List.of(member(1, 0, 1f, 0f), member(2, 0, 0.7071f, 0.7071f), member(3, 0, 0f, 1f)),
        List.of(new GreedyKeep.Edge(1L, 2L, 0.92), new GreedyKeep.Edge(2L, 3L, 0.92)), KeepRule.CENTRE));
    assertNull(centre.get(2L).duplicateOf);
    assertEquals(2L, centre.get(1L).duplicateOf);
    assertEquals(2L, centre.get(3L).duplicateOf);
  }

  @Test
  void centreRanksByDirectionOnATableThatWasNotNormalised() {
    // Raw vectors: the long one (id 1) would be nearest the raw mean; by direction id 2 lies between the others.
    Map<Object, GreedyKeep.Decision> centre = byId(GreedyKeep.decide(
        List.of(member(1, 0, 10f, 0f), member(2, 0, 0.6f, 0.8f), member(3, 0, 0f, 3f)),
        List.of(new GreedyKeep.Edge(1L, 2L, 0.92), new GreedyKeep.Edge(2L, 3L, 0.92)), KeepRule.CENTRE));
    assertNull(centre.get(2L).duplicateOf);
    assertEquals(2L, centre.get(1L).duplicateOf);
    assertEquals(2L, centre.get(3L).duplicateOf);
  }
}
