package io.gtespark.job.similarity;

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
  private static final byte KEY = 'K';
  private static final byte PACKET = 'P';

  @Override
  void write(Object record, DataOutputStream out, byte[] scratch) throws IOException {
    if (record instanceof Long) {
      out.writeByte(KEY);
      out.writeLong((Long) record);
    } else if (record instanceof CellPacket) {
      out.writeByte(PACKET);
      ((CellPacket) record).writeTo(out, scratch);
    } else {
      throw new IllegalArgumentException("the IVF packet shuffle carries unit keys and packets, not "
          + (record == null ? "null" : record.getClass().getName()));
    }
  }

  @Override
  Object read(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    byte kind = in.readByte();
    if (kind == KEY) {
      return in.readLong();
    }
    if (kind == PACKET) {
      return CellPacket.readFrom(in, scratch, loader);
    }
    throw new IOException("not an IVF packet stream (record kind " + kind + ")");
  }
}
