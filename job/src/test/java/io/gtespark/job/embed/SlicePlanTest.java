package io.gtespark.job.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.cli.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class SlicePlanTest {
  @Test
  void slicesAreTheRowsOverTheSliceSizeRoundedUp() {
    assertEquals(1, SlicePlan.of("r", 0, 100, "f", null).slices());
    assertEquals(1, SlicePlan.of("r", 100, 100, "f", null).slices());
    assertEquals(2, SlicePlan.of("r", 101, 100, "f", null).slices());
    assertEquals(10_000, SlicePlan.of("r", 1_000_000_000L, 100_000, "f", null).slices());
  }

  @Test
  void runIdsAreStableAndTellCommandsApart() {
    String a = SlicePlan.runId("embed", List.of("--input=[in]", "output=out"));
    assertEquals(a, SlicePlan.runId("embed", List.of("--input=[in]", "output=out")));
    assertNotEquals(a, SlicePlan.runId("embed", List.of("--input=[in]", "output=out2")));
    // Parts are delimited: moving a character between two parts is another command.
    assertNotEquals(SlicePlan.runId("embed", List.of("ab", "c")), SlicePlan.runId("embed", List.of("a", "bc")));
    assertTrue(a.matches("gte-embed-[0-9a-f]{20}"), a);
  }

  @Test
  void aSavedPlanLoadsBackAndRefusesAnotherInput() throws Exception {
    Path table = Files.createTempDirectory("slice-plan");
    Configuration conf = new Configuration();
    assertNull(SlicePlan.load(table.toString(), "run-1", conf));
    SlicePlan.of("run-1", 2_500, 1_000, "files:3:abc", 7L).save(table.toString(), conf);
    SlicePlan loaded = SlicePlan.load(table.toString(), "run-1", conf);
    assertEquals(3, loaded.slices());
    assertEquals(2_500, loaded.rowsIn());
    assertEquals(7L, loaded.inputVersion());
    loaded.requireSameInput("files:3:abc", "in");
    UsageException e = assertThrows(UsageException.class, () -> loaded.requireSameInput("files:4:def", "in"));
    assertTrue(e.getMessage().contains("--run-id"), e.getMessage());
    SlicePlan.of("run-2", 10, 5, "f", null).save(table.toString(), conf);
    assertNull(SlicePlan.load(table.toString(), "run-2", conf).inputVersion());
  }
}
