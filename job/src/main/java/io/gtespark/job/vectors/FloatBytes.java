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

  /** Writes {@code count} floats of {@code values} from {@code from} to {@code out}, through {@code scratch}. */
  public static void write(java.io.OutputStream out, float[] values, int from, int count, byte[] scratch)
      throws java.io.IOException {
    java.nio.FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int perChunk = scratch.length / Float.BYTES;
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      view.clear();
      view.put(values, from + done, n);
      out.write(scratch, 0, n * Float.BYTES);
      done += n;
    }
  }

  /** Reads {@code into.length} floats written by {@link #write} from {@code in}, through {@code scratch}. */
  public static void read(java.io.DataInput in, float[] into, byte[] scratch) throws java.io.IOException {
    java.nio.FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int perChunk = scratch.length / Float.BYTES;
    for (int done = 0; done < into.length; ) {
      int n = Math.min(perChunk, into.length - done);
      in.readFully(scratch, 0, n * Float.BYTES);
      view.clear();
      view.get(into, done, n);
      done += n;
    }
  }
}
