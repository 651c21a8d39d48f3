package io.gtespark.udf.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  @TempDir
  Path dir;

  @Test
  void huggingFaceLayoutWithPoolingConfig() throws Exception {
    Files.createDirectories(dir.resolve("onnx"));
    Files.createDirectories(dir.resolve("1_Pooling"));
    Files.writeString(dir.resolve("onnx/model.onnx"), "x");
    Files.writeString(dir.resolve("tokenizer.json"), "{}");
    Files.writeString(dir.resolve("1_Pooling/config.json"),
        "{\"word_embedding_dimension\": 768, \"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true}");
    ModelFiles f = ModelFiles.inDirectory(dir);
    assertEquals(dir.resolve("onnx/model.onnx"), f.onnx());
    assertEquals(dir.resolve("tokenizer.json"), f.tokenizer());
    assertEquals(PoolingMode.MEAN, f.declaredPooling());
  }

  @Test
  void singleOnnxFileWithAnyNameAndNoPoolingConfig() throws Exception {
    Files.writeString(dir.resolve("model_quantized.onnx"), "x");
    Files.writeString(dir.resolve("tokenizer.json"), "{}");
    ModelFiles f = ModelFiles.inDirectory(dir);
    assertEquals("model_quantized.onnx", f.onnx().getFileName().toString());
    assertNull(f.declaredPooling());
  }

  @Test
  void missingPiecesAreNamed() throws Exception {
    ModelException notDir = assertThrows(ModelException.class, () -> ModelFiles.inDirectory(dir.resolve("nope")));
    assertTrue(notDir.getMessage().contains("does not exist"));
    ModelException noOnnx = assertThrows(ModelException.class, () -> ModelFiles.inDirectory(dir));
    assertTrue(noOnnx.getMessage().contains("no ONNX file"));
    Files.writeString(dir.resolve("a.onnx"), "x");
    Files.writeString(dir.resolve("b.onnx"), "x");
    ModelException several = assertThrows(ModelException.class, () -> ModelFiles.inDirectory(dir));
    assertTrue(several.getMessage().contains("several ONNX files"));
    Files.delete(dir.resolve("b.onnx"));
    ModelException noTokenizer = assertThrows(ModelException.class, () -> ModelFiles.inDirectory(dir));
    assertTrue(noTokenizer.getMessage().contains("tokenizer.json"));
  }

  @Test
  void shippedProfilesLoad() {
    ModelProfile bge = ModelProfile.find("bge-small-en-v1.5").orElseThrow();
    assertTrue(bge.isBundled());
    assertEquals(PoolingMode.CLS, bge.pooling());
    assertEquals(384, bge.dimension());
    for (String[] p : new String[][] {{"gte-small", "384"}, {"gte-base", "768"}, {"gte-large", "1024"}}) {
      ModelProfile gte = ModelProfile.find(p[0]).orElseThrow();
      assertEquals(Integer.parseInt(p[1]), gte.dimension());
      assertEquals(PoolingMode.MEAN, gte.pooling());
      assertEquals(512, gte.modelMaxLength());
      assertEquals(128, gte.maxLength());
      assertTrue(!gte.isBundled());
    }
    assertTrue(ModelProfile.find("../etc/passwd").isEmpty());
  }
}
