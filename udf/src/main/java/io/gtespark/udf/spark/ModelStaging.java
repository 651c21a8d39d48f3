package io.gtespark.udf.spark;

import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelStoreException;
import io.gtespark.udf.model.ModelFiles;
import io.gtespark.udf.model.ModelLocation;
import io.gtespark.udf.model.ModelProfile;
import io.gtespark.udf.model.ModelResolver;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

/**
 * Gets a model's files to where the driver and the executors can read them, without ever
 * broadcasting the model: a bundled model is extracted from the classpath on each JVM; a model
 * on a Hadoop file system ({@code hdfs://}, {@code s3a://}, ...) is first copied to the driver's
 * local cache with the session's Hadoop configuration; in local mode executors read the
 * driver's local files; on a cluster the files are shipped with {@code SparkContext.addFile}
 * under names unique to the model's hash, and each executor fetches them once.
 */
final class ModelStaging {
  private static final Pattern REMOTE_URI = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
  /** Files of a model directory worth copying; weights in other formats are left behind. */
  private static final List<String> MODEL_DIR_FILES = List.of(
      "model.onnx", "onnx/model.onnx", "tokenizer.json", "onnx/tokenizer.json", "1_Pooling/config.json");

  private ModelStaging() {}

  /** A model reference made local on the driver. */
  static final class Staged {
    private final String localRef;

    Staged(String localRef) {
      this.localRef = localRef;
    }

    /** A bundled model's name or a local directory path. */
    String localRef() {
      return localRef;
    }

    /** How executors of {@code spark} will find the resolved model's files. */
    Function<ModelResolver.Resolved, ModelLocation> locationFor(SparkSession spark) {
      return resolved -> {
        ModelProfile profile = resolved.profile();
        if (profile.isBundled() && localRef.equals(profile.name())) {
          return ModelLocation.bundled(profile.name());
        }
        if (spark.sparkContext().isLocal()) {
          return ModelLocation.local(resolved.files());
        }
        return ship(spark, resolved);
      };
    }
  }

  static Staged stage(SparkSession spark, String ref) {
    if (!REMOTE_URI.matcher(ref).matches() || ref.startsWith("file:")) {
      return new Staged(ref.startsWith("file:") ? URI.create(ref).getPath() : ref);
    }
    return new Staged(copyToLocal(spark.sparkContext().hadoopConfiguration(), ref).toString());
  }

  /**
   * Copies the model files of {@code ref} to the driver's cache, reusing a cached file only when
   * the store proves it unchanged: same length and modification time as when it was copied
   * (recorded beside the copy). A model replaced in place by one of equal size is copied again,
   * so its SHA-256 identity is that of the new bytes.
   */
  static Path copyToLocal(Configuration conf, String ref) {
    Path target = Paths.get(System.getProperty("java.io.tmpdir"), "gte-spark-remote-models", digest(ref));
    try {
      URI uri = URI.create(ref.endsWith("/") ? ref : ref + "/");
      FileSystem fs = FileSystem.get(uri, conf);
      org.apache.hadoop.fs.Path base = new org.apache.hadoop.fs.Path(uri);
      if (!fs.exists(base)) {
        throw new ModelException("Model directory " + ref + " does not exist (checked with the session's "
            + "Hadoop configuration). Check the path and the credentials for its file system.");
      }
      Map<String, FileStatus> present = new LinkedHashMap<>();
      for (String rel : MODEL_DIR_FILES) {
        try {
          present.put(rel, fs.getFileStatus(new org.apache.hadoop.fs.Path(base, rel)));
        } catch (java.io.FileNotFoundException gone) {
          // A file gone from the store must not be served from an older copy.
          Path dst = target.resolve(rel);
          Files.deleteIfExists(dst);
          Files.deleteIfExists(dst.resolveSibling(dst.getFileName() + ".source"));
        }
      }
      // Checked here, where the user's path is known: the same check on the local copy would name the cache.
      if (!present.containsKey("model.onnx") && !present.containsKey("onnx/model.onnx")) {
        throw new ModelException("Model directory " + ref + " has no model.onnx (looked for "
            + new org.apache.hadoop.fs.Path(base, "model.onnx") + " and " + new org.apache.hadoop.fs.Path(base, "onnx/model.onnx") + "). Put the ONNX export there under that name.");
      }
      if (!present.containsKey("tokenizer.json") && !present.containsKey("onnx/tokenizer.json")) {
        throw new ModelException("Model directory " + ref + " has no tokenizer.json (looked for "
            + new org.apache.hadoop.fs.Path(base, "tokenizer.json") + "). Copy the tokenizer.json of the same export into that directory.");
      }
      for (Map.Entry<String, FileStatus> e : present.entrySet()) {
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(base, e.getKey());
        Path dst = target.resolve(e.getKey());
        Path stamp = dst.resolveSibling(dst.getFileName() + ".source");
        FileStatus status = e.getValue();
        String proof = status.getLen() + " " + status.getModificationTime();
        if (Files.isRegularFile(dst) && Files.isRegularFile(stamp)
            && Files.readString(stamp, StandardCharsets.UTF_8).equals(proof) && Files.size(dst) == status.getLen()) {
          continue;
        }
        Files.createDirectories(dst.getParent());
        Files.deleteIfExists(stamp);
        Path tmp = dst.resolveSibling(dst.getFileName() + ".part");
        fs.copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(tmp.toUri()), true);
        Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(stamp, proof, StandardCharsets.UTF_8);
      }
      return target;
    } catch (IOException e) {
      throw new ModelStoreException("Cannot copy model directory " + ref + " to " + target + ": " + e.getMessage(), e);
    }
  }

  private static String digest(String s) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ModelLocation ship(SparkSession spark, ModelResolver.Resolved resolved) {
    ModelFiles files = resolved.files();
    String tag = resolved.identity().sha256().substring(0, 16);
    Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "gte-spark-ship", tag);
    Path onnx = dir.resolve(tag + "-model.onnx");
    Path tokenizer = dir.resolve(tag + "-tokenizer.json");
    try {
      Files.createDirectories(dir);
      link(files.onnx(), onnx);
      link(files.tokenizer(), tokenizer);
    } catch (IOException e) {
      throw new ModelStoreException("Cannot stage model files in " + dir + " for shipping to executors: "
          + e.getMessage(), e);
    }
    spark.sparkContext().addFile(onnx.toString());
    spark.sparkContext().addFile(tokenizer.toString());
    return ModelLocation.shipped(onnx.getFileName().toString(), tokenizer.getFileName().toString());
  }

  private static void link(Path source, Path target) throws IOException {
    if (Files.exists(target)) {
      return;
    }
    try {
      Files.createLink(target, source.toAbsolutePath());
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
