package io.gtespark.job.vectors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Floats shipped between JVMs as one little-endian byte array: Java serialization writes a
 * {@code float[]} a value at a time and a {@code byte[]} in one call (Kryo too), which matters
 * when a shuffle or a collect carries hundreds of megabytes of vectors.
 */
public final class FloatBytes {
  private FloatBytes() {}

  /** {@code count} floats of {@code values} from {@code from}, as bytes. */
  public static byte[] encode(float[] values, int from, int count) {
    byte[] bytes = new byte[count * Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, count);
    return bytes;
  }

  /** The floats of {@link #encode}'s bytes. */
  public static float[] decode(byte[] bytes) {
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /** A view to fill {@code bytes} with floats in {@link #decode}'s order. */
  public static java.nio.FloatBuffer writer(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }
}
