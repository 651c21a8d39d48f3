package io.gtespark.udf.encode;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.gtespark.udf.model.ModelFiles;
import java.util.Map;

/**
 * An independent, deliberately plain implementation for parity tests: the tokenizer's own
 * truncation, one text per run (no padding, no batching), [CLS] pooling and L2 norm by hand.
 * Shares no code with the engine beyond the model files.
 */
public final class ReferenceEncoder implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final OrtSession session;

  public ReferenceEncoder(ModelFiles files, int maxLength) throws Exception {
    tokenizer = HuggingFaceTokenizer.newInstance(files.tokenizer(),
        Map.of("maxLength", Integer.toString(maxLength), "truncation", "true", "padding", "false"));
    session = OrtEnvironment.getEnvironment().createSession(files.onnx().toString(), new OrtSession.SessionOptions());
  }

  public static ReferenceEncoder forBundled() throws Exception {
    return new ReferenceEncoder(BundledSpec.resolved().files(), 128);
  }

  /** The normalised [CLS] vector of one text. */
  public float[] embed(String text) throws Exception {
    Encoding e = tokenizer.encode(text);
    long[] ids = e.getIds();
    long[] shape = {1, ids.length};
    long[] ones = new long[ids.length];
    java.util.Arrays.fill(ones, 1);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor a = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), shape);
        OnnxTensor b = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ones), shape);
        OnnxTensor c = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(new long[ids.length]), shape);
        OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
      float[][][] hidden = (float[][][]) r.get(0).getValue();
      float[] v = hidden[0][0].clone();
      double n = 0;
      for (float x : v) {
        n += x * x;
      }
      for (int i = 0; i < v.length; i++) {
        v[i] /= (float) Math.sqrt(n);
      }
      return v;
    }
  }

  @Override
  public void close() throws Exception {
    session.close();
    tokenizer.close();
  }

}
