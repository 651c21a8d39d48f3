package io.gtespark.job.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gtespark.job.index.IndexCompaction.GroupFiles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IndexCompactionTest {
  private static List<Integer> picked(List<GroupFiles> groups, int maxFiles) {
    return IndexCompaction.toRewrite(groups, maxFiles).stream().map(GroupFiles::group).toList();
  }

  @Test
  void aGroupIsWornPastTheFileLimitOrATenthOfItsRowsDeleted() {
    List<GroupFiles> groups = List.of(
        new GroupFiles(0, 3, 100, 0),   // past 2 files
        new GroupFiles(1, 2, 100, 10),  // at the limit, exactly a tenth deleted: kept
        new GroupFiles(2, 1, 100, 11),  // more than a tenth deleted
        new GroupFiles(3, 1, 100, 0),
        new GroupFiles(4, 1, 0, 5));    // written without statistics: the deleted share is unknown
    assertEquals(List.of(0, 2), picked(groups, 2));
    assertEquals(List.of(), picked(groups, 0), "0: never");
  }

  @Test
  void eachUpdateRewritesAtMostAShareOfTheGroupsTheMostWornFirst() {
    List<GroupFiles> groups = new ArrayList<>();
    for (int g = 0; g < 20; g++) {
      groups.add(new GroupFiles(g, 9 + g % 3, 1000, g)); // all past 8 files
    }
    // ceil(20 / 8) = 3 of them: the ones with 11 files, most deleted first.
    assertEquals(List.of(17, 14, 11), picked(groups, 8));
    assertEquals(20, picked(groups, 1).size(), "a limit of 1 may rewrite every group");
  }
}
