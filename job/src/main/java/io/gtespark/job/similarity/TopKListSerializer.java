package io.gtespark.job.similarity;

import io.gtespark.udf.vectors.TopKHeap;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The serializer of the shuffle that merges partial top-K lists per query, whose records are
 * (query id, {@link TopKHeap}): an id as {@link IdCodec} writes it, a list as K, its size and its
 * (score, id) entries. Java serialization wrote a class descriptor's worth of bookkeeping and a
 * boxed object per entry, and its reading and writing took most of the merge's time; this format
 * is a few bytes per entry. Scores travel as doubles, bit for bit.
 */
final class TopKListSerializer extends RecordSerializer {
  private static final long serialVersionUID = 1L;
  private static final byte ID = 'Q';
  private static final byte LIST = 'H';

  @Override
  void write(Object record, DataOutputStream out, byte[] scratch) throws IOException {
    if (record instanceof TopKHeap) {
      TopKHeap list = (TopKHeap) record;
      out.writeByte(LIST);
      out.writeInt(list.capacity());
      out.writeInt(list.size());
      for (int i = 0; i < list.size(); i++) {
        out.writeDouble(list.scoreAt(i));
        IdCodec.write(out, list.idAt(i));
      }
    } else if (record != null) {
      out.writeByte(ID);
      IdCodec.write(out, record);
    } else {
      throw new IllegalArgumentException("the top-K merge shuffle carries query ids and lists, not null");
    }
  }

  @Override
  Object read(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    byte kind = in.readByte();
    if (kind == ID) {
      return IdCodec.read(in, loader);
    }
    if (kind != LIST) {
      throw new IOException("not a top-K list stream (record kind " + kind + ")");
    }
    TopKHeap list = new TopKHeap(in.readInt());
    int size = in.readInt();
    for (int i = 0; i < size; i++) {
      double score = in.readDouble();
      list.offer(score, IdCodec.read(in, loader));
    }
    return list;
  }
}
