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
  void anIndexProbesAThirtySecondOfItsCellsByDefaultAtLeast24AndPast4096CellsTwiceTheirSquareRoot() {
    assertEquals(40, probing(0).probesOfIndex(1265)); // 1265 / 32 = 39.5, rounded up
    assertEquals(24, probing(0).probesOfIndex(768));
    assertEquals(25, probing(0).probesOfIndex(769));
    assertEquals(12, probing(0).probesOfIndex(12));
    assertEquals(125, probing(0).probesOfIndex(4000)); // the million-row index: 4000 / 32
    assertEquals(128, probing(0).probesOfIndex(4096)); // where the two meet
    assertEquals(256, probing(0).probesOfIndex(16_384)); // not 512
    assertEquals(712, probing(0).probesOfIndex(126_491)); // a billion rows: 2 x 355.7, not 3,953
    assertEquals(1024, probing(0).probesOfIndex(1 << 18));
    assertEquals(24, probing(24).probesOfIndex(1265), "a number asked for is kept");
    assertEquals(12, probing(40).probesOfIndex(12));
  }
}
