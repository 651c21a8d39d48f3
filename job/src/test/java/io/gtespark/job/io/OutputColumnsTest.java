package io.gtespark.job.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.cli.UsageException;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class OutputColumnsTest {
  private static final StructType INPUT = new StructType().add("id", DataTypes.LongType)
      .add("text", DataTypes.StringType).add("source", DataTypes.StringType).add("day", DataTypes.StringType);

  @Test
  void selectAndDropChooseTheInputColumnsBeforeTheVectors() {
    assertEquals(List.of("id", "embedding"),
        OutputColumns.of(INPUT, List.of("id"), List.of(), "id", List.of()).withVectors(List.of("embedding"), List.of()));
    assertEquals(List.of("id", "source", "day", "embedding", "text_sha256"),
        OutputColumns.of(INPUT, List.of(), List.of("text"), "id", List.of("day"))
            .withVectors(List.of("embedding"), List.of("text_sha256")));
    assertEquals(List.of("id", "text", "source", "day", "embedding"),
        OutputColumns.of(INPUT, List.of(), List.of(), null, List.of()).withVectors(List.of("embedding"), List.of()));
  }

  @Test
  void theIdAndPartitionColumnsMustStayAndNamesMustExist() {
    assertTrue(assertThrows(UsageException.class, () -> OutputColumns.of(INPUT, List.of("text"), List.of(), "id",
        List.of())).getMessage().contains("'id' must stay"));
    assertTrue(assertThrows(UsageException.class, () -> OutputColumns.of(INPUT, List.of(), List.of("day"), null,
        List.of("day"))).getMessage().contains("'day' must stay"));
    assertTrue(assertThrows(UsageException.class, () -> OutputColumns.of(INPUT, List.of("nope"), List.of(), null,
        List.of())).getMessage().contains("[id, text, source, day]"));
    assertThrows(UsageException.class, () -> OutputColumns.of(INPUT, List.of("id"), List.of("text"), null, List.of()));
    assertThrows(UsageException.class, () -> OutputColumns.of(INPUT, List.of(), List.of(), null, List.of("hour")));
  }
}
