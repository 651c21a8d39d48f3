package io.gtespark.udf.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class VectorRowsTest {
  private static List<Row> rows(int n, int dim) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Float[] v = new Float[dim];
      Arrays.fill(v, 0f);
      v[i % dim] = 3f;
      rows.add(RowFactory.create((long) i, scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(v)).toSeq()));
    }
    return rows;
  }

  private static List<Integer> blockSizes(Iterator<VectorBlock> blocks) {
    List<Integer> sizes = new ArrayList<>();
    blocks.forEachRemaining(b -> sizes.add(b.rows()));
    return sizes;
  }

  @Test
  void blocksKeepTheRowLimitForNarrowVectorsAndTheValueLimitForWideOnes() {
    assertEquals(List.of(4096, 904), blockSizes(VectorRows.blocks(rows(5000, 384).iterator(), 4096)));
    assertEquals(List.of(1024, 1024, 952), blockSizes(VectorRows.blocks(rows(3000, 1536).iterator(), 4096)));
    assertEquals(List.of(100, 100, 100), blockSizes(VectorRows.blocks(rows(300, 1536).iterator(), 100)));
  }

  @Test
  void vectorsAreReadAtUnitLengthAndMixedDimensionsAreRefused() {
    VectorBlock b = VectorRows.blocks(rows(3, 4).iterator(), 10).next();
    float[] scores = new float[9];
    b.scoreRows(b.data, 0, 3, scores);
    assertEquals(1f, scores[0], 1e-6f);
    List<Row> mixed = new ArrayList<>(rows(2, 4));
    mixed.addAll(rows(1, 5));
    assertThrows(IllegalArgumentException.class, () -> VectorRows.blocks(mixed.iterator(), 10).next());
  }
}
