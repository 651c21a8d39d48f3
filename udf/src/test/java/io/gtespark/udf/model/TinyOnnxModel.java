package io.gtespark.udf.model;

import io.gtespark.udf.encode.BundledSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes tiny ONNX encoders for tests, as protobuf bytes by hand (no ONNX library on Maven
 * Central does this for Java): inputs {@code input_ids} and {@code attention_mask}, and either
 * token vectors {@code last_hidden_state [batch, tokens, dim]} = (id + mask) * weight + bias, or
 * pooled vectors {@code sentence_embedding [batch, dim]}. A NaN in the bias stands for a broken
 * export. The model directory gets the bundled model's tokenizer.json beside model.onnx.
 */
public final class TinyOnnxModel {
  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private TinyOnnxModel() {}

  /** A directory with a token-vector model of dimension {@code weights.length}. */
  public static Path tokenVectors(Path dir, float[] weights, float[] bias) throws IOException {
    return write(dir, graph(weights, bias, false));
  }

  /** A directory with a model whose only output is already pooled ([batch, dim]). */
  public static Path pooledVectors(Path dir, float[] weights) throws IOException {
    return write(dir, graph(weights, new float[weights.length], true));
  }

  private static Path write(Path dir, byte[] model) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("model.onnx"), model);
    Files.copy(BundledSpec.resolved().files().tokenizer(), dir.resolve("tokenizer.json"),
        StandardCopyOption.REPLACE_EXISTING);
    return dir;
  }

  private static byte[] graph(float[] weights, float[] bias, boolean pooled) {
    int dim = weights.length;
    Proto g = new Proto();
    byte[] toFloat = new Proto().string(1, "to").varint(3, FLOAT).varint(20, 2).bytes();
    g.message(1, node("Cast", new String[] {"input_ids"}, "ids_f", toFloat));
    g.message(1, node("Cast", new String[] {"attention_mask"}, "mask_f", toFloat));
    g.message(1, node("Add", new String[] {"ids_f", "mask_f"}, "x", null));
    String last;
    if (pooled) {
      g.message(1, node("ReduceMean", new String[] {"x"}, "m",
          new Proto().string(1, "axes").packedLongs(8, 1).varint(20, 7).bytes()));
      g.message(1, node("Mul", new String[] {"m", "w"}, "sentence_embedding", null));
      last = "sentence_embedding";
    } else {
      g.message(1, node("Unsqueeze", new String[] {"x", "axes"}, "x3", null));
      g.message(1, node("Mul", new String[] {"x3", "w"}, "scaled", null));
      g.message(1, node("Add", new String[] {"scaled", "b"}, "last_hidden_state", null));
      last = "last_hidden_state";
    }
    g.string(2, "tiny");
    g.message(5, floatTensor("w", weights));
    if (!pooled) {
      g.message(5, floatTensor("b", bias));
      g.message(5, new Proto().packedLongs(1, 1).varint(2, INT64).packedLongs(7, 2).string(8, "axes").bytes());
    }
    g.message(11, valueInfo("input_ids", INT64, "batch", "tokens"));
    g.message(11, valueInfo("attention_mask", INT64, "batch", "tokens"));
    g.message(12, pooled ? valueInfo(last, FLOAT, "batch", dim) : valueInfo(last, FLOAT, "batch", "tokens", dim));
    Proto model = new Proto();
    model.varint(1, 8);
    model.string(2, "gte-spark-tests");
    model.message(7, g.bytes());
    model.message(8, new Proto().string(1, "").varint(2, 13).bytes());
    return model.bytes();
  }

  private static byte[] node(String op, String[] inputs, String output, byte[] attribute) {
    Proto n = new Proto();
    for (String in : inputs) {
      n.string(1, in);
    }
    n.string(2, output);
    n.string(3, output + "_node");
    n.string(4, op);
    if (attribute != null) {
      n.message(5, attribute);
    }
    return n.bytes();
  }

  private static byte[] floatTensor(String name, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    return new Proto().packedLongs(1, values.length).varint(2, FLOAT).string(8, name).message(9, raw.array()).bytes();
  }

  /** Dimensions are a symbolic name (String) or a fixed size (Integer). */
  private static byte[] valueInfo(String name, int elemType, Object... dims) {
    Proto shape = new Proto();
    for (Object d : dims) {
      shape.message(1, d instanceof String ? new Proto().string(2, (String) d).bytes()
          : new Proto().varint(1, (Integer) d).bytes());
    }
    byte[] tensor = new Proto().varint(1, elemType).message(2, shape.bytes()).bytes();
    return new Proto().string(1, name).message(2, new Proto().message(1, tensor).bytes()).bytes();
  }

  /** The protobuf wire format, just the parts an ONNX model needs. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      tag(field, 0);
      raw(value);
      return this;
    }

    Proto string(int field, String s) {
      return message(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, byte[] bytes) {
      tag(field, 2);
      raw(bytes.length);
      out.writeBytes(bytes);
      return this;
    }

    Proto packedLongs(int field, long... values) {
      Proto p = new Proto();
      for (long v : values) {
        p.raw(v);
      }
      return message(field, p.bytes());
    }

    private void tag(int field, int wire) {
      raw(((long) field << 3) | wire);
    }

    private void raw(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
