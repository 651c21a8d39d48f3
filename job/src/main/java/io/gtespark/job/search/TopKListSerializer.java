package io.gtespark.job.search;

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

  TopKListSerializer() {
    super("the top-K merge shuffle", TopKHeap.class);
  }

  @Override
  protected void writeKey(Object key, DataOutputStream out) throws IOException {
    if (key == null) {
      throw new IllegalArgumentException(shuffle + " carries query ids and lists, not null");
    }
    IdCodec.write(out, key);
  }

  @Override
  protected void writeValue(Object value, DataOutputStream out, byte[] scratch) throws IOException {
    TopKHeap list = (TopKHeap) value;
    out.writeInt(list.capacity());
    out.writeInt(list.size());
    for (int i = 0; i < list.size(); i++) {
      out.writeDouble(list.scoreAt(i));
      IdCodec.write(out, list.idAt(i));
    }
  }

  @Override
  protected Object readKey(DataInputStream in, ClassLoader loader) throws IOException {
    return IdCodec.read(in, loader);
  }

  @Override
  protected Object readValue(DataInputStream in, byte[] scratch, ClassLoader loader) throws IOException {
    TopKHeap list = new TopKHeap(in.readInt());
    int size = in.readInt();
    for (int i = 0; i < size; i++) {
      double score = in.readDouble();
      list.offer(score, IdCodec.read(in, loader));
    }
    return list;
  }
}
