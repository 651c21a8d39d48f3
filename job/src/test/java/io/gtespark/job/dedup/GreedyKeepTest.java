package io.gtespark.job.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GreedyKeepTest {
  private static KeepRank rank(long id, double key) {
    return new KeepRank(key, id);
  }

  @Test
  void aChainKeepsItsEndsWhenTheyAreNotDuplicatesOfEachOther() {
    // 1 ~ 2 and 2 ~ 3, but 1 and 3 were never a pair: 2 goes, 3 stays (its only neighbour was removed).
    Set<Object> kept = GreedyKeep.kept(List.of(rank(3, 0), rank(1, 0), rank(2, 0)),
        List.of(new GreedyKeep.Edge(1L, 2L, 0.95), new GreedyKeep.Edge(2L, 3L, 0.93)));
    assertEquals(Set.of(1L, 3L), kept);
  }

  @Test
  void theKeyComesBeforeTheIdAndTiesGoToTheSmallerId() {
    // LONGEST: the key is minus the text length, so the longer text (id 2) is visited first and stays.
    assertEquals(Set.of(2L), GreedyKeep.kept(List.of(rank(1, -10), rank(2, -30)),
        List.of(new GreedyKeep.Edge(1L, 2L, 0.99))));
    assertEquals(Set.of(1L), GreedyKeep.kept(List.of(rank(2, 0), rank(1, 0)),
        List.of(new GreedyKeep.Edge(2L, 1L, 0.99))));
  }

  @Test
  void pairsWithAnEndOutsideTheMembersAreIgnored() {
    // 9 was decided elsewhere (removed): its pair with 2 does not stop 2 from being kept.
    assertEquals(Set.of(1L, 2L), GreedyKeep.kept(List.of(rank(1, 0), rank(2, 0)),
        List.of(new GreedyKeep.Edge(9L, 2L, 0.99))));
  }

  @Test
  void aCliqueKeepsOnlyItsFirstMember() {
    assertEquals(Set.of(4L), GreedyKeep.kept(List.of(rank(7, 0), rank(4, 0), rank(5, 0)),
        List.of(new GreedyKeep.Edge(4L, 5L, 0.9), new GreedyKeep.Edge(4L, 7L, 0.9), new GreedyKeep.Edge(5L, 7L, 0.9))));
  }
}
