package io.gtespark.job.similarity;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.util.ByteBufferInputStream;
import scala.reflect.ClassTag;

/**
 * The serializer of IVF's packet shuffle, whose records are (unit key, {@link CellPacket}): a
 * key is a long, a packet its ids, cells and floats ({@link CellPacket#writeTo}). Java
 * serialization, which that shuffle used before, copied each packet's floats through its block
 * buffer into a byte array and back, kept a handle for every object written, and allocated a
 * fresh array per packet on each side; here the floats go from the matrix to the stream and
 * back through one reused buffer. Anything but a Long or a CellPacket is refused.
 */
final class CellPacketSerializer extends Serializer implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final byte KEY = 'K';
  private static final byte PACKET = 'P';
  /** Bytes of floats moved per write or read call. */
  private static final int SCRATCH = 64 << 10;

  @Override
  public SerializerInstance newInstance() {
    return new Instance();
  }

  private static final class Instance extends SerializerInstance {
    @Override
    public <T> ByteBuffer serialize(T t, ClassTag<T> tag) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      SerializationStream out = serializeStream(bytes);
      out.writeObject(t, tag);
      out.close();
      return ByteBuffer.wrap(bytes.toByteArray());
    }

    @Override
    public <T> T deserialize(ByteBuffer bytes, ClassTag<T> tag) {
      return deserializeStream(new ByteBufferInputStream(bytes)).readObject(tag);
    }

    @Override
    public <T> T deserialize(ByteBuffer bytes, ClassLoader loader, ClassTag<T> tag) {
      return deserialize(bytes, tag);
    }

    @Override
    public SerializationStream serializeStream(OutputStream s) {
      return new Writer(s);
    }

    @Override
    public DeserializationStream deserializeStream(InputStream s) {
      return new Reader(s);
    }
  }

  private static final class Writer extends SerializationStream {
    private final DataOutputStream out;
    private final byte[] scratch = new byte[SCRATCH];

    Writer(OutputStream s) {
      out = new DataOutputStream(new BufferedOutputStream(s, SCRATCH));
    }

    @Override
    public <T> SerializationStream writeObject(T t, ClassTag<T> tag) {
      try {
        if (t instanceof Long) {
          out.writeByte(KEY);
          out.writeLong((Long) t);
        } else if (t instanceof CellPacket) {
          out.writeByte(PACKET);
          ((CellPacket) t).writeTo(out, scratch);
        } else {
          throw new IllegalArgumentException("the IVF packet shuffle carries unit keys and packets, not "
              + (t == null ? "null" : t.getClass().getName()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    @Override
    public void flush() {
      unchecked(out::flush);
    }

    @Override
    public void close() {
      unchecked(out::close);
    }
  }

  private static final class Reader extends DeserializationStream {
    private final DataInputStream in;
    private final byte[] scratch = new byte[SCRATCH];
    private final ClassLoader loader = Thread.currentThread().getContextClassLoader();

    Reader(InputStream s) {
      in = new DataInputStream(s);
    }

    /** The next key or packet; at the end of the stream an EOFException, which ends Spark's iterators. */
    @Override
    @SuppressWarnings("unchecked")
    public <T> T readObject(ClassTag<T> tag) {
      try {
        byte kind = in.readByte();
        if (kind == KEY) {
          return (T) (Long) in.readLong();
        }
        if (kind == PACKET) {
          return (T) CellPacket.readFrom(in, scratch, loader != null ? loader : CellPacket.class.getClassLoader());
        }
        throw new IOException("not an IVF packet stream (record kind " + kind + ")");
      } catch (java.io.EOFException e) {
        throw sneaky(e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      unchecked(in::close);
    }
  }

  /** A stream call whose IOException Spark's (Scala) stream interfaces cannot declare. */
  private interface StreamCall {
    void run() throws IOException;
  }

  private static void unchecked(StreamCall call) {
    try {
      call.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Spark's iterators end a stream on an EOFException thrown from readObject, a checked exception Java must smuggle. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
    throw (E) e;
  }
}
