package io.gtespark.udf.encode;

/**
 * IEEE 754 half precision (float16) for storing vectors in half the bytes: round-to-nearest-even
 * encoding, little-endian, two bytes per dimension. Unit-vector components lie in [-1, 1], where
 * float16 keeps about three significant digits, enough for cosine agreement above 0.9999.
 */
public final class HalfFloat {
  private HalfFloat() {}

  /** The float16 bits of {@code f}, rounded to nearest even; overflow gives infinity. */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) { // NaN or infinity
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // subnormal half, or zero
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >> shift;
      int rest = mant & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++; // may carry into the exponent, which is the correct rounding
    }
    return (short) (sign | half);
  }

  /** The float value of float16 bits. */
  public static float toFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant / 1024f / 16384f; // 2^-14 * mant / 2^10
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /**
   * A vector as little-endian float16 bytes; null stays null. A value beyond float16's range
   * (|x| &gt; 65504, possible only for vectors that are not normalised) is an error, never an
   * infinity in the output.
   */
  public static byte[] encode(float[] v) {
    if (v == null) {
      return null;
    }
    byte[] out = new byte[v.length * 2];
    for (int i = 0; i < v.length; i++) {
      short h = fromFloat(v[i]);
      if ((h & 0x7c00) == 0x7c00) {
        throw new NonFiniteVectorException("A vector value " + v[i] + " does not fit float16 (largest 65504). "
            + "Vector type float16 needs normalised vectors (spark.gte.normalize=true); use vector type float32 "
            + "for vectors that are not normalised.");
      }
      out[2 * i] = (byte) h;
      out[2 * i + 1] = (byte) (h >> 8);
    }
    return out;
  }

  /** The vector of little-endian float16 bytes; null stays null. */
  public static float[] decode(byte[] b) {
    if (b == null) {
      return null;
    }
    if (b.length % 2 != 0) {
      throw new IllegalArgumentException("A float16 vector has an even number of bytes, got " + b.length + ".");
    }
    float[] out = new float[b.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = toFloat((short) ((b[2 * i] & 0xff) | (b[2 * i + 1] << 8)));
    }
    return out;
  }
}
