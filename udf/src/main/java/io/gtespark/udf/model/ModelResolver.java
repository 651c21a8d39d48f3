package io.gtespark.udf.model;

import ai.onnxruntime.OrtException;
import io.gtespark.udf.device.ExecutionDevice;
import io.gtespark.udf.encode.EncoderSession;
import io.gtespark.udf.encode.SessionRegistry;
import io.gtespark.udf.text.TextTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns what the user named (a bundled model's name or a local model directory) into checked
 * local files and the model's identity. Runs on the driver before any task: a missing file, a
 * file that is not a model, a missing input or a dimension that disagrees with the profile is
 * one clear {@link ModelException} here rather than a stack trace on every executor.
 */
public final class ModelResolver {
  /** ONNX graph facts keyed by file path, size and modification time; hashing 100s of MB is not free. */
  private static final Map<String, GraphFacts> INSPECTED = new ConcurrentHashMap<>();

  private ModelResolver() {}

  /** A resolved model: its profile, local files and identity. */
  public static final class Resolved {
    private final ModelProfile profile;
    private final ModelFiles files;
    private final ModelIdentity identity;

    Resolved(ModelProfile profile, ModelFiles files, ModelIdentity identity) {
      this.profile = profile;
      this.files = files;
      this.identity = identity;
    }

    public ModelProfile profile() {
      return profile;
    }

    public ModelFiles files() {
      return files;
    }

    public ModelIdentity identity() {
      return identity;
    }
  }

  /**
   * Resolves {@code ref}. {@code profileName}, {@code pooling}, {@code normalize} and
   * {@code maxLength} override the profile when non-null (maxLength when &gt; 0).
   */
  public static Resolved resolve(
      String ref, String profileName, PoolingMode pooling, Boolean normalize, int maxLength) {
    String name = ref == null || ref.isBlank() ? ModelProfile.DEFAULT_MODEL : ref.trim();
    ModelProfile profile;
    ModelFiles files;
    Path asPath = Paths.get(name.startsWith("file:") ? name.substring("file:".length()) : name);
    java.util.Optional<ModelProfile> named = ModelProfile.find(name);
    if (named.isPresent() && !Files.exists(asPath)) {
      profile = named.get();
      if (!profile.isBundled()) {
        throw new ModelException(
            "Model '" + name + "' is not bundled with gte-spark (its weights are not on Maven Central). "
                + "Export it once with internet access (submit/export-gte.sh " + name + ", from Hugging Face "
                + profile.huggingFaceSource() + ") and pass the directory as the model (spark.gte.model=/path/to/" + name + ").");
      }
      files = BundledModel.files(profile);
    } else {
      files = ModelFiles.inDirectory(asPath);
      profile = pickProfile(profileName, asPath, files);
    }
    if (profileName != null && !profileName.isBlank() && !profile.name().equals(profileName.trim())) {
      profile = requireProfile(profileName.trim());
    }
    PoolingMode chosenPooling = pooling != null ? pooling
        : files.declaredPooling() != null ? files.declaredPooling() : profile.pooling();
    boolean chosenNormalize = normalize != null ? normalize : profile.normalize();
    int chosenMax = maxLength > 0 ? maxLength : profile.maxLength();
    if (chosenMax > profile.modelMaxLength()) {
      throw new ModelException(
          "spark.gte.maxLength " + chosenMax + " exceeds what " + profile.name() + " accepts ("
              + profile.modelMaxLength() + " tokens); set spark.gte.maxLength to " + profile.modelMaxLength()
              + " or less, or set spark.gte.longText to window for longer documents.");
    }
    if (chosenMax < 3) {
      throw new ModelException("spark.gte.maxLength must be at least 3 tokens (two are special tokens), got " + chosenMax + ".");
    }
    GraphFacts facts = inspect(files);
    if (profile.dimension() > 0 && profile.dimension() != facts.dimension) {
      throw new ModelException(
          "ONNX model " + files.onnx() + " produces " + facts.dimension + "-d vectors but profile '"
              + profile.name() + "' declares " + profile.dimension() + "-d. Set the matching spark.gte.profile, "
              + "or the directory of the right export.");
    }
    chosenPooling = poolingFor(facts, files, chosenPooling, pooling != null);
    checkTokenizer(files);
    ModelIdentity identity = new ModelIdentity(
        profile.name(), facts.sha256, facts.dimension, chosenPooling, chosenNormalize, chosenMax);
    return new Resolved(profile, files, identity);
  }

  /**
   * The pooling the vectors really get. A graph that outputs pooled vectors pools itself, so its
   * identity records {@code graph}; an explicit cls/mean for such a graph, or {@code graph} for a
   * graph of token vectors, would be a claim the engine cannot keep and is refused.
   */
  private static PoolingMode poolingFor(GraphFacts facts, ModelFiles files, PoolingMode chosen, boolean explicit) {
    if (facts.pooled) {
      if (explicit && chosen != PoolingMode.GRAPH) {
        throw new ModelException("ONNX model " + files.onnx() + " outputs pooled sentence vectors ('" + facts.output
            + "', [batch, " + facts.dimension + "]), so pooling '" + chosen.id() + "' (spark.gte.pooling) cannot be "
            + "applied. Leave the pooling unset (or 'graph') to use the model's own pooling, or export the token "
            + "vectors (last_hidden_state).");
      }
      return PoolingMode.GRAPH;
    }
    if (chosen == PoolingMode.GRAPH) {
      throw new ModelException("Pooling 'graph' uses a model's own pooled output, but ONNX model " + files.onnx()
          + " outputs token vectors ('" + facts.output + "'). Use pooling cls or mean.");
    }
    return chosen;
  }

  private static ModelProfile pickProfile(String profileName, Path dir, ModelFiles files) {
    if (profileName != null && !profileName.isBlank()) {
      return requireProfile(profileName.trim());
    }
    Path last = dir.toAbsolutePath().normalize().getFileName();
    String dirName = last == null ? "custom" : last.toString();
    return ModelProfile.find(dirName)
        .orElseGet(() -> ModelProfile.custom(dirName,
            files.declaredPooling() != null ? files.declaredPooling() : PoolingMode.MEAN));
  }

  private static ModelProfile requireProfile(String name) {
    return ModelProfile.find(name).orElseThrow(() -> new ModelException(
        "Unknown model profile '" + name + "'. Known profiles: bge-small-en-v1.5, gte-small, gte-base, "
            + "gte-large (conf/profiles/); leave spark.gte.profile unset to use the model directory's own settings."));
  }

  private static GraphFacts inspect(ModelFiles files) {
    Path onnx = files.onnx();
    String key;
    try {
      key = onnx.toAbsolutePath() + "|" + Files.size(onnx) + "|" + Files.getLastModifiedTime(onnx).toMillis();
    } catch (IOException e) {
      throw new ModelStoreException("Cannot read ONNX model " + onnx + ": " + e.getMessage(), e);
    }
    return INSPECTED.computeIfAbsent(key, k -> new GraphFacts(onnx));
  }

  /** What the driver learns by opening the graph once: its output, its size and the file hash. */
  private static final class GraphFacts {
    final int dimension;
    final String output;
    final boolean pooled;
    final String sha256;

    GraphFacts(Path onnx) {
      try (EncoderSession probe = EncoderSession.open(onnx, ExecutionDevice.CPU, 1, 0)) {
        this.dimension = probe.dimension();
        this.output = probe.outputName();
        this.pooled = probe.outputIsPooled();
      } catch (OrtException e) {
        throw new ModelException(
            "Cannot load ONNX model " + onnx + " (" + firstLine(e.getMessage()) + "). The file must be an "
                + "ONNX export of a BERT-family encoder; re-export or re-download it.",
            e);
      }
      this.sha256 = sha256(onnx);
    }
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new ModelStoreException("Cannot read ONNX model " + file + ": " + e.getMessage(), e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Opens the tokenizer once so that a broken tokenizer.json fails on the driver. */
  private static void checkTokenizer(ModelFiles files) {
    TextTokenizer t = SessionRegistry.tokenizer(files);
    if (t.specialTokenCount() > 4) {
      throw new ModelException(
          "Tokenizer " + files.tokenizer() + " adds " + t.specialTokenCount()
              + " special tokens per text; that is not a BERT-style sentence tokenizer.");
    }
  }
}
