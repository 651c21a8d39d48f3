package io.gtespark.udf.model;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What makes two embedding runs comparable: model name, SHA-256 of the ONNX file, vector
 * dimension, pooling, normalisation and max length. Recorded with every output so that an
 * append or merge with a different model can be refused.
 */
public final class ModelIdentity implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Key prefix used when the identity is written as table properties or a sidecar file. */
  public static final String PREFIX = "gte.model.";

  private final String name;
  private final String sha256;
  private final int dimension;
  private final PoolingMode pooling;
  private final boolean normalize;
  private final int maxLength;
  private final String vectorType;

  public ModelIdentity(
      String name, String sha256, int dimension, PoolingMode pooling, boolean normalize, int maxLength) {
    this(name, sha256, dimension, pooling, normalize, maxLength, "float32");
  }

  private ModelIdentity(String name, String sha256, int dimension, PoolingMode pooling, boolean normalize,
      int maxLength, String vectorType) {
    this.name = Objects.requireNonNull(name);
    this.sha256 = Objects.requireNonNull(sha256);
    this.dimension = dimension;
    this.pooling = Objects.requireNonNull(pooling);
    this.normalize = normalize;
    this.maxLength = maxLength;
    this.vectorType = Objects.requireNonNull(vectorType);
  }

  /** The same identity for vectors stored as {@code type} ({@code float32} or {@code float16}). */
  public ModelIdentity withVectorType(String type) {
    return new ModelIdentity(name, sha256, dimension, pooling, normalize, maxLength, type);
  }

  /** How the vectors are stored: {@code float32} (array&lt;float&gt;) or {@code float16} (binary). */
  public String vectorType() {
    return vectorType;
  }

  /** True when both made vectors with the same model and settings, however they are stored. */
  public boolean sameModel(ModelIdentity o) {
    return o != null && withVectorType("float32").equals(o.withVectorType("float32"));
  }

  /** Reads an identity written by {@link #toProperties()}; null when the keys are absent. */
  public static ModelIdentity fromProperties(Map<String, String> props) {
    if (!props.containsKey(PREFIX + "sha256")) {
      return null;
    }
    return new ModelIdentity(
        props.get(PREFIX + "name"),
        props.get(PREFIX + "sha256"),
        Integer.parseInt(props.get(PREFIX + "dimension")),
        PoolingMode.parse(props.get(PREFIX + "pooling"), "stored model identity"),
        Boolean.parseBoolean(props.get(PREFIX + "normalize")),
        Integer.parseInt(props.get(PREFIX + "maxLength")),
        props.getOrDefault(PREFIX + "vectorType", "float32"));
  }

  /** The identity as flat string properties, keys prefixed with {@link #PREFIX}. */
  public Map<String, String> toProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "name", name);
    m.put(PREFIX + "sha256", sha256);
    m.put(PREFIX + "dimension", Integer.toString(dimension));
    m.put(PREFIX + "pooling", pooling.id());
    m.put(PREFIX + "normalize", Boolean.toString(normalize));
    m.put(PREFIX + "maxLength", Integer.toString(maxLength));
    m.put(PREFIX + "vectorType", vectorType);
    return m;
  }

  public String name() {
    return name;
  }

  public String sha256() {
    return sha256;
  }

  public int dimension() {
    return dimension;
  }

  public PoolingMode pooling() {
    return pooling;
  }

  public boolean normalize() {
    return normalize;
  }

  public int maxLength() {
    return maxLength;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelIdentity)) {
      return false;
    }
    ModelIdentity m = (ModelIdentity) o;
    return sha256.equals(m.sha256) && dimension == m.dimension && pooling == m.pooling
        && normalize == m.normalize && maxLength == m.maxLength && name.equals(m.name)
        && vectorType.equals(m.vectorType);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, sha256, dimension, pooling, normalize, maxLength, vectorType);
  }

  @Override
  public String toString() {
    return name + " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + ", dim "
        + dimension + ", " + pooling.id() + " pooling" + (normalize ? ", normalised" : "")
        + ", max length " + maxLength + (vectorType.equals("float32") ? "" : ", stored as " + vectorType) + ")";
  }
}
