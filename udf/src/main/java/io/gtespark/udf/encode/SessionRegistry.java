package io.gtespark.udf.encode;

import ai.onnxruntime.OrtException;
import io.gtespark.udf.device.DeviceRequest;
import io.gtespark.udf.device.ExecutionDevice;
import io.gtespark.udf.device.GpuPresence;
import io.gtespark.udf.model.ModelException;
import io.gtespark.udf.model.ModelStoreException;
import io.gtespark.udf.model.ModelFiles;
import io.gtespark.udf.text.TextTokenizer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deliberate per-JVM registry of ONNX sessions and tokenizers: one session per (model,
 * device, tuning) and one tokenizer per tokenizer file, created lazily by the first task that
 * needs it, under a lock so that tasks starting together build it once, shared by every later
 * task of the executor, and closed when the JVM exits.
 *
 * <p>Device set-up is a small state machine: CUDA requested &rarr; try the CUDA provider on the
 * selected device &rarr; on failure, {@code auto} logs one line with the original error and uses
 * the CPU session; {@code cuda} fails with that error.
 */
public final class SessionRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);
  private static final Object LOCK = new Object();
  private static final Map<String, EncoderSession> SESSIONS = new ConcurrentHashMap<>();
  private static final Map<String, TextTokenizer> TOKENIZERS = new ConcurrentHashMap<>();
  /**
   * CUDA keys that fell back to the CPU, with the time (nanos) after which CUDA is tried again:
   * a transient CUDA error must not pin a long-lived JVM to the CPU for good.
   */
  private static final Map<String, Long> CPU_FALLBACK_UNTIL = new ConcurrentHashMap<>();
  static final long CUDA_RETRY_NANOS = TimeUnit.MINUTES.toNanos(10);
  private static final long EVICTION_CHECK_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final AtomicInteger SESSIONS_CREATED = new AtomicInteger();
  private static final AtomicInteger CUDA_ATTEMPTS = new AtomicInteger();
  private static volatile long lastEvictionCheck = System.nanoTime();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(SessionRegistry::closeAll, "gte-spark-session-close"));
  }

  private SessionRegistry() {}

  /** The shared session for this model on the device the task should use. */
  public static EncoderSession session(
      String modelKey, ModelFiles files, DeviceRequest request, ExecutionDevice device,
      SessionTuning tuning, int gpuConcurrentRuns) {
    return session(modelKey, files, request, device, tuning, gpuConcurrentRuns, 0);
  }

  /**
   * As above; sessions of this JVM unused for {@code idleSeconds} (0 = never) are freed on the
   * way, at most every 30 seconds.
   */
  public static EncoderSession session(
      String modelKey, ModelFiles files, DeviceRequest request, ExecutionDevice device,
      SessionTuning tuning, int gpuConcurrentRuns, int idleSeconds) {
    if (idleSeconds > 0 && System.nanoTime() - lastEvictionCheck > EVICTION_CHECK_NANOS) {
      evictIdle(TimeUnit.SECONDS.toNanos(idleSeconds));
    }
    String key = key(modelKey, device, tuning);
    Long fallbackUntil = CPU_FALLBACK_UNTIL.get(key);
    if (fallbackUntil != null && System.nanoTime() - fallbackUntil < 0) {
      key = key(modelKey, ExecutionDevice.CPU, tuning);
      device = ExecutionDevice.CPU;
      request = DeviceRequest.CPU;
    }
    EncoderSession s = SESSIONS.get(key);
    if (s != null) {
      return s;
    }
    synchronized (LOCK) {
      s = SESSIONS.get(key);
      if (s == null) {
        s = create(modelKey, files, request, device, tuning, gpuConcurrentRuns);
        if (s.device().equals(device)) {
          SESSIONS.put(key, s);
          CPU_FALLBACK_UNTIL.remove(key);
        } else {
          CPU_FALLBACK_UNTIL.put(key, System.nanoTime() + CUDA_RETRY_NANOS);
        }
      }
      return s;
    }
  }

  /** Frees the sessions unused for {@code idleNanos}; a session in use is kept. */
  static void evictIdle(long idleNanos) {
    lastEvictionCheck = System.nanoTime();
    synchronized (LOCK) {
      SESSIONS.entrySet().removeIf(e -> {
        boolean freed = e.getValue().closeIfIdle(idleNanos);
        if (freed) {
          LOG.info("gte-spark: freed the ONNX session {} after it sat unused", e.getKey());
        }
        return freed;
      });
    }
  }

  private static EncoderSession create(
      String modelKey, ModelFiles files, DeviceRequest request, ExecutionDevice device,
      SessionTuning tuning, int gpuConcurrentRuns) {
    if (device.isCuda()) {
      CUDA_ATTEMPTS.incrementAndGet();
    }
    if (device.isCuda() && !GpuPresence.nvidiaDriverPresent()) {
      if (request == DeviceRequest.CUDA) {
        throw new IllegalStateException(
            "Device cuda was requested (spark.gte.device) but this node has no NVIDIA driver (no "
                + "/proc/driver/nvidia/version or /dev/nvidiactl). Run on a GPU node, or use device auto or cpu.");
      }
      LOG.info("gte-spark: no NVIDIA driver on this node; running {} on cpu.", modelKey);
      return cpuSession(modelKey, files, tuning);
    }
    if (device.isCuda()) {
      try {
        EncoderSession cuda = open(files, device, tuning, gpuConcurrentRuns);
        LOG.info("gte-spark: ONNX session for {} on {} ({})", modelKey, device, tuning);
        return cuda;
      } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
        if (e instanceof ModelException || e instanceof ModelStoreException || request == DeviceRequest.CUDA) {
          if (e instanceof ModelException || e instanceof ModelStoreException) {
            throw (RuntimeException) e; // the model or its store, not the GPU: no CPU fallback would help
          }
          throw new IllegalStateException(
              "Device cuda was requested (spark.gte.device) but CUDA device " + device.cudaDevice() + " is not usable: "
                  + e.getClass().getSimpleName() + ": " + e.getMessage()
                  + ". Check that the node has an NVIDIA driver, CUDA 12 and cuDNN 9 libraries on "
                  + "LD_LIBRARY_PATH, or use device auto to fall back to the CPU.",
              e);
        }
        LOG.warn("gte-spark: CUDA unavailable ({}: {}); running on CPU.", e.getClass().getSimpleName(),
            firstLine(e.getMessage()));
        return cpuSession(modelKey, files, tuning);
      }
    }
    try {
      EncoderSession cpu = open(files, ExecutionDevice.CPU, tuning, 0);
      LOG.info("gte-spark: ONNX session for {} on cpu ({})", modelKey, tuning);
      return cpu;
    } catch (OrtException e) {
      throw new ModelException(
          "Cannot load ONNX model " + files.onnx() + ": " + e.getMessage()
              + ". The file must be an ONNX export of a BERT-family encoder.",
          e);
    }
  }

  /** The CPU session for a model, which CUDA keys that fell back use until their retry time. */
  private static EncoderSession cpuSession(String modelKey, ModelFiles files, SessionTuning tuning) {
    String cpuKey = key(modelKey, ExecutionDevice.CPU, tuning);
    EncoderSession cpu = SESSIONS.get(cpuKey);
    if (cpu == null) {
      cpu = create(modelKey, files, DeviceRequest.CPU, ExecutionDevice.CPU, tuning, 0);
      SESSIONS.put(cpuKey, cpu);
    }
    return cpu;
  }

  private static EncoderSession open(ModelFiles files, ExecutionDevice device, SessionTuning tuning, int gpuRuns)
      throws OrtException {
    EncoderSession s = EncoderSession.open(files.onnx(), device, tuning, device.isCuda() ? gpuRuns : 0);
    SESSIONS_CREATED.incrementAndGet();
    return s;
  }

  /** The shared tokenizer for a tokenizer file. */
  public static TextTokenizer tokenizer(ModelFiles files) {
    String key = files.tokenizer().toAbsolutePath().toString();
    TextTokenizer t = TOKENIZERS.get(key);
    if (t != null) {
      return t;
    }
    synchronized (LOCK) {
      return TOKENIZERS.computeIfAbsent(key, k -> TextTokenizer.open(files.tokenizer()));
    }
  }

  /** How many times this JVM has tried to open a CUDA session. */
  static int cudaAttempts() {
    return CUDA_ATTEMPTS.get();
  }

  /** True when a session is held under this exact key (model, device, tuning). */
  static boolean holds(String modelKey, ExecutionDevice device, SessionTuning tuning) {
    return SESSIONS.containsKey(key(modelKey, device, tuning));
  }

  /** Ends the CPU fallbacks now, as if their retry time had come. */
  static void expireFallbacks() {
    CPU_FALLBACK_UNTIL.replaceAll((k, v) -> System.nanoTime() - 1);
  }

  /** How many ONNX sessions this JVM has created since it started. */
  public static int sessionsCreated() {
    return SESSIONS_CREATED.get();
  }

  private static String key(String modelKey, ExecutionDevice device, SessionTuning tuning) {
    return modelKey + "|" + device + "|" + tuning.key();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** At JVM exit: frees every session and tokenizer, under the lock that guards their creation. */
  private static void closeAll() {
    synchronized (LOCK) {
      SESSIONS.values().stream().distinct().forEach(EncoderSession::close);
      SESSIONS.clear();
      TOKENIZERS.values().forEach(TextTokenizer::close);
      TOKENIZERS.clear();
    }
  }
}
