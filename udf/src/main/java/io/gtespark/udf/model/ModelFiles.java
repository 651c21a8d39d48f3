package io.gtespark.udf.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The local files of one model: the ONNX graph, {@code tokenizer.json}, and the pooling a
 * sentence-transformers export declares in {@code 1_Pooling/config.json}, if any.
 */
public final class ModelFiles {
  private static final Pattern CLS_POOLING =
      Pattern.compile("\"pooling_mode_cls_token\"\\s*:\\s*true");
  private static final Pattern MEAN_POOLING =
      Pattern.compile("\"pooling_mode_mean_tokens\"\\s*:\\s*true");

  private final Path onnx;
  private final Path tokenizer;
  private final PoolingMode declaredPooling;

  public ModelFiles(Path onnx, Path tokenizer, PoolingMode declaredPooling) {
    this.onnx = onnx;
    this.tokenizer = tokenizer;
    this.declaredPooling = declaredPooling;
  }

  /**
   * Finds the files of a model directory: {@code model.onnx} at the top or in {@code onnx/}
   * (Hugging Face layout), else the only {@code .onnx} file there; {@code tokenizer.json} beside
   * it or at the top.
   */
  public static ModelFiles inDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ModelException(
          "Model directory " + dir + " does not exist or is not a directory. Set spark.gte.model to "
              + "a directory that holds an ONNX export and tokenizer.json, or a bundled model "
              + "name such as " + ModelProfile.DEFAULT_MODEL + ".");
    }
    Path onnx = findOnnx(dir);
    Path tokenizer = firstReadable(dir.resolve("tokenizer.json"), onnx.resolveSibling("tokenizer.json"))
        .orElseThrow(() -> new ModelException(
            "Model directory " + dir + " has no tokenizer.json (looked for " + dir.resolve("tokenizer.json")
                + "). Copy the tokenizer.json of the same export into that directory."));
    return new ModelFiles(onnx, tokenizer, readDeclaredPooling(dir.resolve("1_Pooling").resolve("config.json")));
  }

  private static Path findOnnx(Path dir) {
    Optional<Path> standard = firstReadable(dir.resolve("model.onnx"), dir.resolve("onnx").resolve("model.onnx"));
    if (standard.isPresent()) {
      return standard.get();
    }
    List<Path> candidates = new ArrayList<>();
    for (Path d : List.of(dir, dir.resolve("onnx"))) {
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "*.onnx")) {
        s.forEach(candidates::add);
      } catch (IOException e) {
        throw new ModelStoreException("Cannot list model directory " + d + ": " + e.getMessage(), e);
      }
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    if (candidates.isEmpty()) {
      throw new ModelException(
          "Model directory " + dir + " holds no ONNX file (looked for model.onnx, onnx/model.onnx "
              + "and *.onnx). Export the model to ONNX (see submit/export-gte.sh) into that directory.");
    }
    throw new ModelException(
        "Model directory " + dir + " holds several ONNX files " + candidates
            + " and no model.onnx; keep one, or name the one to use model.onnx.");
  }

  private static Optional<Path> firstReadable(Path... candidates) {
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isReadable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static PoolingMode readDeclaredPooling(Path config) {
    if (!Files.isRegularFile(config)) {
      return null;
    }
    try {
      String json = Files.readString(config, StandardCharsets.UTF_8);
      if (CLS_POOLING.matcher(json).find()) {
        return PoolingMode.CLS;
      }
      if (MEAN_POOLING.matcher(json).find()) {
        return PoolingMode.MEAN;
      }
      throw new ModelException(
          config + " declares a pooling other than CLS or mean; set spark.gte.pooling to cls or mean explicitly.");
    } catch (IOException e) {
      throw new ModelStoreException("Cannot read " + config + ": " + e.getMessage(), e);
    }
  }

  /** The ONNX graph. */
  public Path onnx() {
    return onnx;
  }

  /** The Hugging Face {@code tokenizer.json}. */
  public Path tokenizer() {
    return tokenizer;
  }

  /** The pooling the export declares, or null when it declares none. */
  public PoolingMode declaredPooling() {
    return declaredPooling;
  }
}
