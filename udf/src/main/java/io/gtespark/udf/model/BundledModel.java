package io.gtespark.udf.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes a model whose files ship on the classpath available as local files: extracted once
 * per machine into a cache folder (write to a temporary name, then an atomic rename, so that
 * concurrent JVMs on one node never see a half-written file).
 */
public final class BundledModel {
  /** System property naming the cache folder; defaults to {@code java.io.tmpdir/gte-spark-models}. */
  public static final String CACHE_DIR_PROPERTY = "gte.spark.model.cache";

  private static final ConcurrentHashMap<String, ModelFiles> EXTRACTED = new ConcurrentHashMap<>();

  private BundledModel() {}

  /** The local files of a bundled profile, extracting them on first use in this JVM. */
  public static ModelFiles files(ModelProfile profile) {
    if (!profile.isBundled()) {
      throw new ModelException("Model '" + profile.name() + "' is not bundled with gte-spark.");
    }
    return EXTRACTED.computeIfAbsent(profile.name(), n -> extract(profile));
  }

  private static ModelFiles extract(ModelProfile profile) {
    Path dir = cacheRoot().resolve(profile.name());
    Path onnx = extractResource(profile.bundledOnnx(), dir.resolve("model.onnx"), profile);
    Path tokenizer = extractResource(profile.bundledTokenizer(), dir.resolve("tokenizer.json"), profile);
    return new ModelFiles(onnx, tokenizer, null);
  }

  static Path cacheRoot() {
    String configured = System.getProperty(CACHE_DIR_PROPERTY);
    return configured != null
        ? Paths.get(configured)
        : Paths.get(System.getProperty("java.io.tmpdir"), "gte-spark-models");
  }

  private static Path extractResource(String resource, Path target, ModelProfile profile) {
    ClassLoader loader = BundledModel.class.getClassLoader();
    var url = loader.getResource(resource);
    if (url == null) {
      throw new ModelException(
          "The bundled model '" + profile.name() + "' is missing its file " + resource
              + " on the classpath. It comes from the Maven artifact " + profile.bundledArtifact()
              + "; rebuild with 'mvn -q package -DskipTests' or put that jar on the classpath.");
    }
    try {
      long expected = url.openConnection().getContentLengthLong();
      if (Files.isRegularFile(target) && (expected < 0 || Files.size(target) == expected)) {
        return target;
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
      try (InputStream in = url.openStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
      return target;
    } catch (IOException e) {
      throw new ModelException(
          "Cannot extract the bundled model file " + resource + " to " + target + ": " + e.getMessage()
              + ". Point -D" + CACHE_DIR_PROPERTY + " at a writable folder with ~200 MB free.",
          e);
    }
  }
}
