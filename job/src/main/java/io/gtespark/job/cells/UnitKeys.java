package io.gtespark.job.cells;

/** The keys of the cells' unit shuffle: which unit (cell group, doc chunk) a packet goes to, and which chunk of its group a row is in. */
final class UnitKeys {
  private UnitKeys() {}

  /** Chunks per cell: enough that a chunk holds about {@code block} rows. */
  static int[] chunks(long[] perCell, int block) {
    int[] out = new int[perCell.length];
    for (int c = 0; c < perCell.length; c++) {
      out[c] = (int) Math.max(1, (perCell[c] + block - 1) / block);
    }
    return out;
  }

  /** A stable chunk for a row within its cell group (a mixed hash of id and group). */
  static int chunkOf(Object id, int cell, int chunks) {
    if (chunks == 1) {
      return 0;
    }
    long h = id.hashCode() * 0x9E3779B97F4A7C15L + cell * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 29;
    return (int) Math.floorMod(h, (long) chunks);
  }

  /** The key of unit (cell group, doc chunk): 23 + 20 bits. */
  static long unit(int group, int docChunk) {
    return ((long) group << 20) | docChunk;
  }

  /** A packet's shuffle key: its unit, then 0 for corpus rows and 1 for queries, so a unit's corpus sorts first. */
  static long packetKey(long unit, boolean query) {
    return (unit << 1) | (query ? 1 : 0);
  }
}
