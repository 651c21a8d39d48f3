package io.gtespark.job.cells;

import io.gtespark.job.search.IdCodec;
import io.gtespark.job.search.RecordSerializer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The serializer of IVF's packet shuffle, whose records are (unit key, {@link CellPacket}): a
 * key is a long, a packet its ids, cells and floats ({@link CellPacket#writeTo}). Java
 * serialization, which that shuffle used before, copied each packet's floats through its block
 * buffer into a byte array and back, kept a handle for every object written, and allocated a
 * fresh array per packet on each side; here the floats go from the matrix to the stream and
 * back through one reused buffer. Anything but a Long or a CellPacket is refused.
 */
final class CellPacketSerializer extends RecordSerializer {
  private static final long serialVersionUID = 1L;

  CellPacketSerializer() {
    super("the IVF packet shuffle", CellPacket.class);
  }

  @Override
  protected void writeKey(Object key, DataOutputStream out) throws IOException {
    if (!(key instanceof Long)) {
      throw new IllegalArgumentException(shuffle + " carries unit keys and packets, not "
          + (key == null ? "null" : key.getClass().getName()));
    }
    out.writeLong((Long) key);
  }

  @Override
  protected void writeValue(Object value, DataOutputStream out, byte[] scratch) throws IOException {
    ((CellPacket) value).writeTo(out, scratch);
  }

  @Override
  protected Object readKey(DataInputStream in, ClassLoader loader) throws IOException {
    return in.readLong();
  }

  @Override
  protected Object readValue(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    return CellPacket.readFrom(in, scratch, loader);
  }
}
