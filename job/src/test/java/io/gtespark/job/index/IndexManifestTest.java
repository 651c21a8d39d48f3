package io.gtespark.job.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.job.cli.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexManifestTest {
  @TempDir
  Path dir;

  private static Map<String, Object> values(int build) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("build", build);
    m.put("nlist", 24);
    m.put("sourceVersion", 3L);
    return m;
  }

  @Test
  void publishingReplacesTheCurrentManifestAndNamesTheBuildsTables() throws Exception {
    Configuration conf = new Configuration();
    String index = dir.toString();
    assertNull(IndexManifest.read(index, conf));
    IndexManifest.of(values(1)).publish(index, conf);
    IndexManifest.of(values(2)).publish(index, conf);
    IndexManifest read = IndexManifest.read(index, conf);
    assertEquals(2, read.build());
    assertEquals(3L, read.getLong("sourceVersion"));
    assertTrue(read.vectors(index).endsWith("build-2/vectors"), read.vectors(index));
    assertTrue(read.centroids(index).endsWith("build-2/centroids"), read.centroids(index));
    try (var files = Files.list(dir)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().contains("staged")), "the staged copy was renamed");
    }
  }

  @Test
  void refusesALayoutItDoesNotKnow() throws Exception {
    Files.writeString(dir.resolve(IndexManifest.FILE), "{\"format\": \"9\", \"build\": \"1\"}");
    UsageException e = assertThrows(UsageException.class, () -> IndexManifest.read(dir.toString(),
        new Configuration()));
    assertTrue(e.getMessage().contains("layout format 9"), e.getMessage());
  }
}
