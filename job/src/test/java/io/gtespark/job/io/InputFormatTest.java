package io.gtespark.job.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.cli.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFormatTest {
  @TempDir
  Path dir;

  private final Configuration conf = new Configuration();

  @Test
  void detectsByExtensionDirectoryContentAndDeltaLog() throws Exception {
    Files.writeString(dir.resolve("a.jsonl"), "{}");
    Files.writeString(dir.resolve("b.csv.gz"), "");
    Files.writeString(dir.resolve("c.txt"), "");
    assertEquals(InputFormat.JSON, InputFormat.detect(dir.resolve("a.jsonl").toString(), conf));
    assertEquals(InputFormat.CSV, InputFormat.detect(dir.resolve("b.csv.gz").toString(), conf));
    assertEquals(InputFormat.TEXT, InputFormat.detect(dir.resolve("c.txt").toString(), conf));

    Path parquetDir = Files.createDirectories(dir.resolve("pq"));
    Files.writeString(parquetDir.resolve("_SUCCESS"), "");
    Files.writeString(parquetDir.resolve("part-0000.snappy.parquet"), "");
    assertEquals(InputFormat.PARQUET, InputFormat.detect(parquetDir.toString(), conf));

    Path delta = Files.createDirectories(dir.resolve("tbl").resolve("_delta_log"));
    assertEquals(InputFormat.DELTA, InputFormat.detect(delta.getParent().toString(), conf));
    assertEquals(InputFormat.TABLE, InputFormat.detect("docs_table", conf));
  }

  @Test
  void partitionDirectoriesAreLookedInto() throws Exception {
    Path table = dir.resolve("news");
    Files.createDirectories(table.resolve("day=2024-01-01").resolve("source=feed"));
    Files.writeString(table.resolve("_SUCCESS"), "");
    Files.writeString(table.resolve("day=2024-01-01").resolve("source=feed").resolve("part-0.snappy.parquet"), "");
    assertEquals(InputFormat.PARQUET, InputFormat.detect(table.toString(), conf));
    Files.createDirectories(dir.resolve("plain").resolve("subdir"));
    Files.writeString(dir.resolve("plain").resolve("subdir").resolve("x.json"), "{}");
    assertThrows(UsageException.class, () -> InputFormat.detect(dir.resolve("plain").toString(), conf),
        "only Hive-style key=value directories are partitions");
  }

  @Test
  void unknownOrMissingInputsAreUsageErrors() throws Exception {
    Files.writeString(dir.resolve("data.bin"), "");
    UsageException unknown = assertThrows(UsageException.class,
        () -> InputFormat.detect(dir.resolve("data.bin").toString(), conf));
    assertTrue(unknown.getMessage().contains("--format"));
    assertThrows(UsageException.class, () -> InputFormat.detect(dir.resolve("missing/x.parquet").toString(), conf));
    assertThrows(UsageException.class, () -> InputFormat.parse("xml"));
    assertEquals(null, InputFormat.parse("auto"));
  }
}
