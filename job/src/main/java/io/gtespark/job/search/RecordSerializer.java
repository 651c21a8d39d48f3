package io.gtespark.job.search;

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
 * A Spark serializer for the (key, value) records of one shuffle of ours, written field by field
 * to a data stream: no class descriptors, no handle table (Spark's Java serializer keeps the last
 * objects of a stream reachable), a reused scratch buffer per stream. Each record is a tag byte,
 * key or value, then what the subclass writes; a subclass refuses anything it does not carry.
 */
public abstract class RecordSerializer extends Serializer implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Bytes of a stream's scratch buffer and of its output buffer. */
  public static final int SCRATCH = 64 << 10;
  private static final byte KEY = 'K';
  private static final byte VALUE = 'V';

  /** The shuffle, for messages: "the IVF packet shuffle", say. */
  protected final String shuffle;
  /** The class of this shuffle's values; anything else is written as a key. */
  private final Class<?> valueClass;

  protected RecordSerializer(String shuffle, Class<?> valueClass) {
    this.shuffle = shuffle;
    this.valueClass = valueClass;
  }

  /** Writes a key; throws IllegalArgumentException for an object that is no key of this shuffle. */
  protected abstract void writeKey(Object key, DataOutputStream out) throws IOException;

  /** Writes a value (an instance of the value class); {@code scratch} is the stream's reusable buffer. */
  protected abstract void writeValue(Object value, DataOutputStream out, byte[] scratch) throws IOException;

  /** Reads a key {@link #writeKey} wrote; {@code loader} resolves classes of Java-serialized ids. */
  protected abstract Object readKey(DataInputStream in, ClassLoader loader) throws IOException;

  /** Reads a value {@link #writeValue} wrote. */
  protected abstract Object readValue(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException;

  private void write(Object record, DataOutputStream out, byte[] scratch) throws IOException {
    if (valueClass.isInstance(record)) {
      out.writeByte(VALUE);
      writeValue(record, out, scratch);
    } else {
      out.writeByte(KEY);
      writeKey(record, out);
    }
  }

  /** The next record; at the end of the stream the EOFException of the first read, which ends Spark's iterators. */
  private Object read(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    byte kind = in.readByte();
    if (kind == KEY) {
      return readKey(in, loader);
    }
    if (kind == VALUE) {
      return readValue(in, scratch, loader);
    }
    throw new IOException("not a stream of " + shuffle + " (record kind " + kind + ")");
  }

  @Override
  public final SerializerInstance newInstance() {
    return new Instance(this);
  }

  private static final class Instance extends SerializerInstance {
    private final RecordSerializer format;

    Instance(RecordSerializer format) {
      this.format = format;
    }

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
      return new Writer(format, s);
    }

    @Override
    public DeserializationStream deserializeStream(InputStream s) {
      return new Reader(format, s);
    }
  }

  private static final class Writer extends SerializationStream {
    private final RecordSerializer format;
    private final DataOutputStream out;
    private final byte[] scratch = new byte[SCRATCH];

    Writer(RecordSerializer format, OutputStream s) {
      this.format = format;
      out = new DataOutputStream(new BufferedOutputStream(s, SCRATCH));
    }

    @Override
    public <T> SerializationStream writeObject(T t, ClassTag<T> tag) {
      unchecked(() -> format.write(t, out, scratch));
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
    private final RecordSerializer format;
    private final DataInputStream in;
    private final byte[] scratch = new byte[SCRATCH];
    private final ClassLoader loader;

    Reader(RecordSerializer format, InputStream s) {
      this.format = format;
      in = new DataInputStream(s);
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      loader = context != null ? context : RecordSerializer.class.getClassLoader();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T readObject(ClassTag<T> tag) {
      try {
        return (T) format.read(in, scratch, loader);
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
