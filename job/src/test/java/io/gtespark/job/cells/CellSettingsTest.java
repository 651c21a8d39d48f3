package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CellSettingsTest {
  private static CellSettings probing(int nprobe) {
    return new CellSettings(0, nprobe, 0, 3, 42, 4096, 16384);
  }

  @Test
  void aSearchOfItsOwnCellsProbes24ByDefaultAndNeverMoreCellsThanThereAre() {
    assertEquals(24, probing(0).probesFor(1265));
    assertEquals(10, probing(0).probesFor(10));
    assertEquals(7, probing(7).probesFor(1265));
    assertEquals(5, probing(7).probesFor(5));
  }

  @Test
  void anIndexProbesAThirtySecondOfItsCellsByDefaultAtLeast24() {
    assertEquals(40, probing(0).probesOfIndex(1265)); // 1265 / 32 = 39.5, rounded up
    assertEquals(24, probing(0).probesOfIndex(768));
    assertEquals(25, probing(0).probesOfIndex(769));
    assertEquals(12, probing(0).probesOfIndex(12));
    assertEquals(3950, probing(0).probesOfIndex(126_400));
    assertEquals(24, probing(24).probesOfIndex(1265), "a number asked for is kept");
    assertEquals(12, probing(40).probesOfIndex(12));
  }
}
