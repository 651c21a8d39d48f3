package io.gtespark.udf.encode;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/** What encoding did: rows, nulls, empties, truncations, tokens, batches and time. */
public final class EncodeCounters implements Serializable {
  private static final long serialVersionUID = 1L;

  long rows;
  long nulls;
  long empties;
  long truncated;
  long windows;
  long tokens;
  long paddedTokens;
  long batches;
  long gpuBatches;
  long encodedTexts;
  long encodeNanos;
  long tokenizeNanos;
  long inferenceNanos;

  /** Counts of {@code rows} rows and nothing else, as a task reports them before its first batch ends. */
  public static EncodeCounters ofRows(long rows) {
    EncodeCounters c = new EncodeCounters();
    c.rows = rows;
    return c;
  }

  /** Adds another set of counts to this one. */
  public void add(EncodeCounters o) {
    rows += o.rows;
    nulls += o.nulls;
    empties += o.empties;
    truncated += o.truncated;
    windows += o.windows;
    tokens += o.tokens;
    paddedTokens += o.paddedTokens;
    batches += o.batches;
    gpuBatches += o.gpuBatches;
    encodedTexts += o.encodedTexts;
    encodeNanos += o.encodeNanos;
    tokenizeNanos += o.tokenizeNanos;
    inferenceNanos += o.inferenceNanos;
  }

  /** A copy of these counts. */
  public EncodeCounters copy() {
    EncodeCounters c = new EncodeCounters();
    c.add(this);
    return c;
  }

  /** Sets every count back to zero. */
  public void reset() {
    rows = nulls = empties = truncated = windows = tokens = paddedTokens = batches = gpuBatches = encodedTexts = 0;
    encodeNanos = tokenizeNanos = inferenceNanos = 0;
  }

  public boolean isZero() {
    return rows == 0 && batches == 0 && tokens == 0;
  }

  /** Text values seen (null ones included). */
  public long rows() {
    return rows;
  }

  public long nulls() {
    return nulls;
  }

  /** Texts with no tokens (empty, whitespace, control characters). */
  public long empties() {
    return empties;
  }

  /** Texts longer than the max length (truncated, or split into windows). */
  public long truncated() {
    return truncated;
  }

  /** Windows embedded for long texts in window mode. */
  public long windows() {
    return windows;
  }

  /** Real tokens fed to the model, special tokens included, padding excluded. */
  public long tokens() {
    return tokens;
  }

  /** Tokens including padding: {@code paddedTokens / tokens} is the padding overhead. */
  public long paddedTokens() {
    return paddedTokens;
  }

  public long batches() {
    return batches;
  }

  /** Batches that ran on a GPU; 0 means everything ran on the CPU. */
  public long gpuBatches() {
    return gpuBatches;
  }

  /** Distinct texts actually run through the model (duplicates in a chunk run once). */
  public long encodedTexts() {
    return encodedTexts;
  }

  /** Time spent tokenising, running and pooling, in nanoseconds. */
  public long encodeNanos() {
    return encodeNanos;
  }

  /** Time spent in the tokenizer, in nanoseconds. */
  public long tokenizeNanos() {
    return tokenizeNanos;
  }

  /** Time spent in ONNX Runtime's run (padding, tensors and pooling included), in nanoseconds. */
  public long inferenceNanos() {
    return inferenceNanos;
  }

  /** The counts by name, for metrics files and logs. */
  public Map<String, Long> toMap() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("rows", rows);
    m.put("nulls", nulls);
    m.put("empties", empties);
    m.put("truncated", truncated);
    m.put("windows", windows);
    m.put("tokens", tokens);
    m.put("paddedTokens", paddedTokens);
    m.put("batches", batches);
    m.put("gpuBatches", gpuBatches);
    m.put("encodedTexts", encodedTexts);
    m.put("encodeMillis", encodeNanos / 1_000_000);
    m.put("tokenizeMillis", tokenizeNanos / 1_000_000);
    m.put("inferenceMillis", inferenceNanos / 1_000_000);
    return m;
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
