package io.gtespark.udf.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelResolver;
import io.gtespark.udf.model.TinyOnnxModel;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;

/** The driver's cache of remote model files never serves a stale copy. */
class ModelStagingTest {
  /** The local disk under a scheme of its own, so that ModelStaging treats it as a remote store. */
  public static final class RemoteLikeFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("gtetest:///");
    }
  }

  /** A Hadoop configuration under which {@code gtetest://} paths are the local disk seen as a remote store. */
  private static Configuration remoteLike() {
    Configuration conf = new Configuration(false);
    conf.set("fs.gtetest.impl", RemoteLikeFileSystem.class.getName());
    conf.setBoolean("fs.gtetest.impl.disable.cache", true);
    return conf;
  }

  @Test
  void aModelReplacedInPlaceWithOneOfEqualSizeIsCopiedAgain() throws Exception {
    Path store = Files.createTempDirectory("gte-remote-store").resolve("fine-tune");
    TinyOnnxModel.tokenVectors(store, new float[] {1f, 2f, 3f, 4f}, new float[4]);
    Configuration conf = remoteLike();
    String ref = "gtetest://" + store.toAbsolutePath();

    Path first = ModelStaging.copyToLocal(conf, ref);
    String firstHash = ModelResolver.resolve(first.toString(), null, null, null, 0).identity().sha256();
    byte[] firstBytes = Files.readAllBytes(first.resolve("model.onnx"));

    // A re-exported fine-tune of the same architecture: same size, other weights, newer file.
    TinyOnnxModel.tokenVectors(store, new float[] {4f, 3f, 2f, 1f}, new float[4]);
    Path onnx = store.resolve("model.onnx");
    Files.setLastModifiedTime(onnx, FileTime.fromMillis(Files.getLastModifiedTime(onnx).toMillis() + 5_000));
    assertEquals(firstBytes.length, Files.size(onnx));

    Path second = ModelStaging.copyToLocal(conf, ref);
    assertEquals(first, second);
    assertArrayEquals(Files.readAllBytes(onnx), Files.readAllBytes(second.resolve("model.onnx")));
    String secondHash = ModelResolver.resolve(second.toString(), null, null, null, 0).identity().sha256();
    assertNotEquals(firstHash, secondHash, "the identity was computed on the stale copy");

    // Unchanged: the cached copy is reused (its modification time stays as it was).
    long cachedAt = Files.getLastModifiedTime(second.resolve("model.onnx")).toMillis();
    Thread.sleep(20);
    ModelStaging.copyToLocal(conf, ref);
    assertEquals(cachedAt, Files.getLastModifiedTime(second.resolve("model.onnx")).toMillis());
  }

  @Test
  void aFileRemovedFromTheStoreIsNotServedFromTheCacheAndTheErrorNamesTheStore() throws Exception {
    Path store = Files.createTempDirectory("gte-remote-store").resolve("export");
    TinyOnnxModel.tokenVectors(store, new float[] {1f, 2f, 3f, 4f}, new float[4]);
    Configuration conf = remoteLike();
    String ref = "gtetest://" + store.toAbsolutePath();
    Path cached = ModelStaging.copyToLocal(conf, ref);
    assertTrue(Files.exists(cached.resolve("tokenizer.json")));

    Files.delete(store.resolve("tokenizer.json"));
    ModelException e = assertThrows(ModelException.class, () -> ModelStaging.copyToLocal(conf, ref));
    assertTrue(e.getMessage().contains(ref) && e.getMessage().contains("tokenizer.json"), e.getMessage());
    assertFalse(e.getMessage().contains(cached.toString()), "the error names the user's path, not the cache");
    assertFalse(Files.exists(cached.resolve("tokenizer.json")), "a stale tokenizer was left to be used");
  }
}
