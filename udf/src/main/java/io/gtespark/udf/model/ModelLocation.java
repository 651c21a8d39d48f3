package io.gtespark.udf.model;

import java.io.Serializable;
import java.nio.file.Paths;
import org.apache.spark.SparkFiles;

/**
 * Where an executor finds a model's files: inside its own classpath (bundled), at a path every
 * node can read (local mode, shared mounts), or among the files Spark shipped with the job.
 */
public final class ModelLocation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The three ways an executor can reach model files. */
  public enum Kind {
    BUNDLED,
    LOCAL,
    SHIPPED
  }

  private final Kind kind;
  private final String bundledProfile;
  private final String onnx;
  private final String tokenizer;

  private ModelLocation(Kind kind, String bundledProfile, String onnx, String tokenizer) {
    this.kind = kind;
    this.bundledProfile = bundledProfile;
    this.onnx = onnx;
    this.tokenizer = tokenizer;
  }

  /** A model extracted from the classpath on each JVM. */
  public static ModelLocation bundled(String profileName) {
    return new ModelLocation(Kind.BUNDLED, profileName, null, null);
  }

  /** Files at absolute local paths that every executor can read. */
  public static ModelLocation local(ModelFiles files) {
    return new ModelLocation(
        Kind.LOCAL, null, files.onnx().toAbsolutePath().toString(),
        files.tokenizer().toAbsolutePath().toString());
  }

  /** Files added with {@code SparkContext.addFile} under these names. */
  public static ModelLocation shipped(String onnxName, String tokenizerName) {
    return new ModelLocation(Kind.SHIPPED, null, onnxName, tokenizerName);
  }

  /** The local files on this JVM; extracts or looks up shipped files as needed. */
  public ModelFiles materialize() {
    switch (kind) {
      case BUNDLED:
        return BundledModel.files(
            ModelProfile.find(bundledProfile)
                .orElseThrow(() -> new ModelException("No bundled profile '" + bundledProfile + "'.")));
      case LOCAL:
        return new ModelFiles(Paths.get(onnx), Paths.get(tokenizer), null);
      case SHIPPED:
        return new ModelFiles(Paths.get(SparkFiles.get(onnx)), Paths.get(SparkFiles.get(tokenizer)), null);
      default:
        throw new IllegalStateException("Unknown model location " + kind);
    }
  }

  public Kind kind() {
    return kind;
  }

  @Override
  public String toString() {
    return kind == Kind.BUNDLED ? "bundled:" + bundledProfile : kind.name().toLowerCase() + ":" + onnx;
  }
}
