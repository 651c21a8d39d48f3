package io.gtespark.udf.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Optional;
import java.util.Properties;

/**
 * What is known about a model before its files are opened: dimension, default pooling,
 * normalisation and sequence lengths. Profiles ship in {@code conf/profiles/NAME.properties}
 * and inside the engine jar under {@code gte-spark/profiles/}.
 */
public final class ModelProfile implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The classpath folder that holds the profiles. */
  public static final String RESOURCE_DIR = "gte-spark/profiles/";
  /** The model used when none is named. */
  public static final String DEFAULT_MODEL = "bge-small-en-v1.5";
  /** Max sequence length of the model card's pipeline. */
  public static final int DEFAULT_MAX_LENGTH = 128;
  /** BERT's position-embedding limit. */
  public static final int DEFAULT_MODEL_MAX_LENGTH = 512;

  private final String name;
  private final int dimension; // 0 = unknown, taken from the ONNX graph
  private final PoolingMode pooling;
  private final boolean normalize;
  private final int maxLength;
  private final int modelMaxLength;
  private final String bundledOnnx;
  private final String bundledTokenizer;
  private final String huggingFaceSource;
  private final String bundledArtifact;

  private ModelProfile(
      String name,
      int dimension,
      PoolingMode pooling,
      boolean normalize,
      int maxLength,
      int modelMaxLength,
      String bundledOnnx,
      String bundledTokenizer,
      String huggingFaceSource,
      String bundledArtifact) {
    this.name = name;
    this.dimension = dimension;
    this.pooling = pooling;
    this.normalize = normalize;
    this.maxLength = maxLength;
    this.modelMaxLength = modelMaxLength;
    this.bundledOnnx = bundledOnnx;
    this.bundledTokenizer = bundledTokenizer;
    this.huggingFaceSource = huggingFaceSource;
    this.bundledArtifact = bundledArtifact;
  }

  /** The profile shipped under this name, if any. */
  public static Optional<ModelProfile> find(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
      return Optional.empty();
    }
    String resource = RESOURCE_DIR + name + ".properties";
    try (InputStream in = ModelProfile.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      p.load(in);
      return Optional.of(fromProperties(p, resource));
    } catch (IOException e) {
      throw new ModelException("Cannot read model profile " + resource + ": " + e.getMessage(), e);
    }
  }

  /** A profile for a model directory that matches no shipped profile: GTE's defaults. */
  public static ModelProfile custom(String name, PoolingMode pooling) {
    return new ModelProfile(
        name, 0, pooling, true, DEFAULT_MAX_LENGTH, DEFAULT_MODEL_MAX_LENGTH, null, null, null, null);
  }

  static ModelProfile fromProperties(Properties p, String source) {
    String name = required(p, "name", source);
    return new ModelProfile(
        name,
        Integer.parseInt(p.getProperty("dimension", "0").trim()),
        PoolingMode.parse(required(p, "pooling", source), source),
        Boolean.parseBoolean(p.getProperty("normalize", "true").trim()),
        Integer.parseInt(p.getProperty("max-length", "" + DEFAULT_MAX_LENGTH).trim()),
        Integer.parseInt(p.getProperty("model-max-length", "" + DEFAULT_MODEL_MAX_LENGTH).trim()),
        p.getProperty("bundled.onnx"),
        p.getProperty("bundled.tokenizer"),
        p.getProperty("source.huggingface"),
        p.getProperty("bundled.artifact"));
  }

  private static String required(Properties p, String key, String source) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new ModelException("Model profile " + source + " lacks the key '" + key + "'.");
    }
    return v.trim();
  }

  /** Returns a copy with the pooling a model directory declares. */
  public ModelProfile withPooling(PoolingMode newPooling) {
    return new ModelProfile(
        name, dimension, newPooling, normalize, maxLength, modelMaxLength, bundledOnnx,
        bundledTokenizer, huggingFaceSource, bundledArtifact);
  }

  public String name() {
    return name;
  }

  /** The vector size the profile promises, or 0 when only the ONNX graph knows it. */
  public int dimension() {
    return dimension;
  }

  public PoolingMode pooling() {
    return pooling;
  }

  public boolean normalize() {
    return normalize;
  }

  /** Default max sequence length (tokens, special tokens included). */
  public int maxLength() {
    return maxLength;
  }

  /** The longest sequence the model accepts. */
  public int modelMaxLength() {
    return modelMaxLength;
  }

  /** True when the model's files ship inside the engine's classpath. */
  public boolean isBundled() {
    return bundledOnnx != null && bundledTokenizer != null;
  }

  public String bundledOnnx() {
    return bundledOnnx;
  }

  public String bundledTokenizer() {
    return bundledTokenizer;
  }

  /** The Maven artifact (group:artifact) whose jar holds a bundled model's files, or null. */
  public String bundledArtifact() {
    return bundledArtifact;
  }

  /** The Hugging Face repository to export the model from, or null. */
  public String huggingFaceSource() {
    return huggingFaceSource;
  }
}
