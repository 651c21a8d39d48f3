package io.gtespark.job.search;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.nio.charset.StandardCharsets;

/**
 * Row ids in our shuffles' data streams: a tag byte, then a long, an int or a string's UTF-8
 * bytes, the id types of real tables; any other id (a decimal, a date) goes through Java
 * serialization on its own, which is slow but rare.
 */
public final class IdCodec {
  private static final byte LONG = 'l';
  private static final byte INT = 'i';
  private static final byte STRING = 's';
  private static final byte OBJECT = 'o';

  private IdCodec() {}

  /** Writes {@code id}: its tag, then its value. */
  public static void write(DataOutputStream out, Object id) throws IOException {
    if (id instanceof Long) {
      out.writeByte(LONG);
      out.writeLong((Long) id);
    } else if (id instanceof Integer) {
      out.writeByte(INT);
      out.writeInt((Integer) id);
    } else if (id instanceof String) {
      byte[] bytes = ((String) id).getBytes(StandardCharsets.UTF_8);
      out.writeByte(STRING);
      out.writeInt(bytes.length);
      out.write(bytes);
    } else {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream objects = new ObjectOutputStream(bytes)) {
        objects.writeObject(id);
      }
      out.writeByte(OBJECT);
      out.writeInt(bytes.size());
      bytes.writeTo(out);
    }
  }

  /** The id {@link #write} wrote; {@code loader} resolves the class of a Java-serialized one. */
  public static Object read(DataInputStream in, ClassLoader loader) throws IOException {
    byte tag = in.readByte();
    switch (tag) {
      case LONG:
        return in.readLong();
      case INT:
        return in.readInt();
      case STRING:
        return new String(bytes(in), StandardCharsets.UTF_8);
      case OBJECT:
        try (ObjectInputStream objects = new ObjectInputStream(new ByteArrayInputStream(bytes(in))) {
          @Override
          protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
              return Class.forName(desc.getName(), false, loader);
            } catch (ClassNotFoundException e) {
              return super.resolveClass(desc);
            }
          }
        }) {
          return objects.readObject();
        } catch (ClassNotFoundException e) {
          throw new IOException("a shuffled id is of a class this JVM cannot load: " + e.getMessage(), e);
        }
      default:
        throw new IOException("not a shuffled id (tag " + tag + ")");
    }
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }
}
