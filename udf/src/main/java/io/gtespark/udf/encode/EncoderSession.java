package io.gtespark.udf.encode;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.gtespark.udf.device.ExecutionDevice;
import io.gtespark.udf.model.ModelException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One ONNX Runtime session of a BERT-family encoder. Runs a batch of token sequences, padded
 * only to the batch's longest member, and pools each row against its attention mask.
 * Thread-safe: ONNX Runtime's {@code run} may be called by many tasks at once.
 */
public final class EncoderSession implements AutoCloseable {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String TOKEN_TYPE_IDS = "token_type_ids";

  private final OrtSession session;
  private final ExecutionDevice device;
  private final int threads;
  private final boolean hasTokenTypes;
  private final String outputName;
  private final boolean outputIsPooled;
  private final int dimension;
  private final Semaphore runSlots;
  /** Runs hold the read lock; close takes the write lock, so it never frees a session mid-run. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;
  /** Closed by the registry for being idle, not by JVM shutdown: a late user reopens a session. */
  private boolean evicted;
  private volatile long lastUsedNanos = System.nanoTime();

  private EncoderSession(OrtSession session, ExecutionDevice device, int threads, int concurrentRuns, Path onnx)
      throws OrtException {
    this.session = session;
    this.device = device;
    this.threads = threads;
    Map<String, NodeInfo> inputs = session.getInputInfo();
    for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
      NodeInfo info = inputs.get(required);
      if (info == null) {
        throw new ModelException(
            "ONNX model " + onnx + " has no input '" + required + "' (its inputs are " + inputs.keySet()
                + "). gte-spark needs a BERT-style export with input_ids and attention_mask.");
      }
      if (!(info.getInfo() instanceof TensorInfo) || ((TensorInfo) info.getInfo()).type != OnnxJavaType.INT64) {
        throw new ModelException(
            "ONNX model " + onnx + " input '" + required + "' is " + info.getInfo()
                + "; gte-spark feeds int64 tensors. Re-export with int64 inputs (the Hugging Face default).");
      }
    }
    for (String name : inputs.keySet()) {
      if (!name.equals(INPUT_IDS) && !name.equals(ATTENTION_MASK) && !name.equals(TOKEN_TYPE_IDS)) {
        throw new ModelException(
            "ONNX model " + onnx + " expects an input '" + name + "' that gte-spark does not feed "
                + "(it feeds input_ids, attention_mask, token_type_ids).");
      }
    }
    this.hasTokenTypes = inputs.containsKey(TOKEN_TYPE_IDS);
    Map<String, NodeInfo> outputs = session.getOutputInfo();
    String chosen = chooseOutput(outputs, onnx);
    this.outputName = chosen;
    if (!(outputs.get(chosen).getInfo() instanceof TensorInfo)) {
      throw new ModelException("ONNX model " + onnx + " output '" + chosen + "' is not a tensor.");
    }
    long[] shape = ((TensorInfo) outputs.get(chosen).getInfo()).getShape();
    if (shape.length != 3 && shape.length != 2) {
      throw new ModelException(
          "ONNX model " + onnx + " output '" + chosen + "' has rank " + shape.length
              + "; expected [batch, tokens, hidden] token vectors or [batch, hidden] sentence vectors.");
    }
    this.outputIsPooled = shape.length == 2;
    this.dimension = (int) shape[shape.length - 1];
    if (dimension <= 0) {
      throw new ModelException(
          "ONNX model " + onnx + " output '" + chosen + "' has no fixed hidden size (shape "
              + java.util.Arrays.toString(shape) + "); re-export with a static hidden dimension.");
    }
    this.runSlots = concurrentRuns > 0 ? new Semaphore(concurrentRuns, true) : null;
  }

  /** Outputs read as token vectors, in order of preference, then the pooled ones. */
  static final List<String> TOKEN_OUTPUTS = List.of("last_hidden_state", "token_embeddings");
  static final List<String> POOLED_OUTPUTS = List.of("sentence_embedding", "sentence_embeddings");

  /**
   * The output that holds the vectors: a known token-vector name, else a known pooled name, else
   * the graph's only output. A graph with several unknown outputs is refused rather than guessed
   * at, because picking an already pooled one would silently skip the configured pooling.
   */
  static String chooseOutput(Map<String, NodeInfo> outputs, Path onnx) {
    for (String name : TOKEN_OUTPUTS) {
      if (outputs.containsKey(name)) {
        return name;
      }
    }
    for (String name : POOLED_OUTPUTS) {
      if (outputs.containsKey(name)) {
        return name;
      }
    }
    if (outputs.size() == 1) {
      return outputs.keySet().iterator().next();
    }
    throw new ModelException("ONNX model " + onnx + " has outputs " + outputs.keySet() + " and none is named "
        + TOKEN_OUTPUTS + " (token vectors) or " + POOLED_OUTPUTS + " (pooled vectors); gte-spark cannot tell "
        + "which one holds the vectors. Re-export with the token vectors named last_hidden_state.");
  }

  /**
   * Opens a session on {@code device}. {@code threads} is ONNX Runtime's intra-op thread count;
   * {@code concurrentRuns} bounds simultaneous runs (0 = unbounded), used on GPUs to cap memory.
   */
  public static EncoderSession open(Path onnx, ExecutionDevice device, int threads, int concurrentRuns)
      throws OrtException {
    return open(onnx, device, SessionTuning.threads(threads), concurrentRuns);
  }

  /** Opens a session with explicit tuning (threads, optimisation level, memory settings). */
  public static EncoderSession open(Path onnx, ExecutionDevice device, SessionTuning tuning, int concurrentRuns)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int threads = tuning.threads();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      tuning.apply(options);
      if (device.isCuda()) {
        options.addCUDA(device.cudaDevice());
      }
      OrtSession session = env.createSession(onnx.toString(), options);
      try {
        return new EncoderSession(session, device, threads, concurrentRuns, onnx);
      } catch (RuntimeException | OrtException e) {
        session.close();
        throw e;
      }
    }
  }

  /**
   * Vectors for {@code sequences} (token ids with special tokens), pooled by {@code pooling}.
   * Each row is padded to the batch's longest sequence and masked, so a row's vector does not
   * depend on its batch mates.
   */
  public float[][] run(List<long[]> sequences, PoolingStrategy pooling) throws OrtException {
    return run(sequences, pooling, 0);
  }

  /** As {@link #run(List, PoolingStrategy)}, padding every row to at least {@code padTo} tokens. */
  public float[][] run(List<long[]> sequences, PoolingStrategy pooling, int padTo) throws OrtException {
    int rows = sequences.size();
    int seqLen = padTo;
    for (long[] s : sequences) {
      seqLen = Math.max(seqLen, s.length);
    }
    long[] ids = new long[rows * seqLen];
    long[] mask = new long[rows * seqLen];
    for (int r = 0; r < rows; r++) {
      long[] s = sequences.get(r);
      System.arraycopy(s, 0, ids, r * seqLen, s.length);
      java.util.Arrays.fill(mask, r * seqLen, r * seqLen + s.length, 1L);
    }
    long[] shape = {rows, seqLen};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    lifecycle.readLock().lock();
    acquire();
    try {
      if (closed) {
        if (evicted) {
          throw new Evicted();
        }
        throw new IllegalStateException("The ONNX session was closed because the JVM is shutting down.");
      }
      lastUsedNanos = System.nanoTime();
      inputs.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      if (hasTokenTypes) {
        inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[rows * seqLen]), shape));
      }
      try (OrtSession.Result result = session.run(inputs, java.util.Set.of(outputName))) {
        OnnxValue value = result.get(0);
        FloatBuffer hidden = ((OnnxTensor) value).getFloatBuffer();
        float[][] out = new float[rows][dimension];
        for (int r = 0; r < rows; r++) {
          if (outputIsPooled) {
            hidden.get(r * dimension, out[r], 0, dimension);
          } else {
            pooling.pool(hidden, mask, r, seqLen, dimension, out[r]);
          }
        }
        return out;
      }
    } finally {
      for (OnnxTensor t : inputs.values()) {
        t.close();
      }
      release();
      lifecycle.readLock().unlock();
    }
  }

  private void acquire() {
    if (runSlots != null) {
      runSlots.acquireUninterruptibly();
    }
  }

  private void release() {
    if (runSlots != null) {
      runSlots.release();
    }
  }

  /** The graph output the vectors are read from. */
  public String outputName() {
    return outputName;
  }

  /** Size of the vectors this model produces. */
  public int dimension() {
    return dimension;
  }

  /** True when the graph itself outputs pooled sentence vectors (pooling is then the graph's). */
  public boolean outputIsPooled() {
    return outputIsPooled;
  }

  /** The device this session runs on (after any fallback). */
  public ExecutionDevice device() {
    return device;
  }

  /** ONNX Runtime intra-op threads of this session. */
  public int threads() {
    return threads;
  }

  /**
   * Frees the session if no run is in progress and none started within {@code idleNanos}; a
   * later {@link #run} then throws {@link Evicted} so that its caller fetches a fresh session.
   * Never waits: a session in use is simply kept.
   */
  boolean closeIfIdle(long idleNanos) {
    if (System.nanoTime() - lastUsedNanos < idleNanos || !lifecycle.writeLock().tryLock()) {
      return false;
    }
    try {
      if (closed || System.nanoTime() - lastUsedNanos < idleNanos) {
        return false;
      }
      closed = true;
      evicted = true;
      session.close();
      return true;
    } catch (OrtException e) {
      return true;
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** Thrown by {@link #run} on a session the registry freed for being idle. */
  static final class Evicted extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Evicted() {
      super("The ONNX session was freed after sitting idle; fetch a new one from the registry.");
    }
  }

  /**
   * Frees the native session once no run is in progress. Called from a shutdown hook, which
   * can fire (SIGTERM, executor decommission) while tasks are still running: freeing the
   * session under a running batch would crash the JVM in native code, so if runs do not finish
   * within a few seconds the session is left for the operating system to reclaim.
   */
  @Override
  public void close() {
    try {
      if (lifecycle.writeLock().tryLock(5, TimeUnit.SECONDS)) {
        try {
          if (!closed) {
            closed = true;
            session.close();
          }
        } finally {
          lifecycle.writeLock().unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (OrtException e) {
      // Closing at JVM exit; nothing useful to do with the error.
    }
  }
}
