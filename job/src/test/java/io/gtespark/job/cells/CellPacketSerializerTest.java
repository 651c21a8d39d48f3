package io.gtespark.job.cells;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class CellPacketSerializerTest {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

  private static CellPacket packet(Object[] ids, int dim, Random random) {
    CellPacket.Builder b = new CellPacket.Builder(dim, ids.length, 2 * ids.length);
    float[] values = new float[dim];
    for (Object id : ids) {
      for (int d = 0; d < dim; d++) {
        values[d] = (float) random.nextGaussian();
      }
      b.add(id, values, 0, new int[] {random.nextInt(50), random.nextInt(50)}, 0, 2);
    }
    return b.build();
  }

  private static void assertSame(CellPacket want, CellPacket got) {
    assertEquals(want.rows(), got.rows());
    assertEquals(want.dim, got.dim);
    for (int i = 0; i < want.rows(); i++) {
      assertEquals(want.id(i), got.id(i));
    }
    assertArrayEquals(want.cellStart, got.cellStart);
    assertArrayEquals(want.cells, got.cells);
    assertArrayEquals(want.vectors(), got.vectors(), "floats bit for bit");
  }

  /** Keys and packets (long ids, string ids, more floats than one scratch buffer) come back as written, then the stream ends. */
  @Test
  void recordsComeBackAsWrittenAndTheStreamEnds() {
    Random random = new Random(3);
    Object[] longIds = new Object[5000];
    for (int i = 0; i < longIds.length; i++) {
      longIds[i] = (long) i * 7919;
    }
    CellPacket big = packet(longIds, 384, random); // 7.7 MB of floats
    CellPacket named = packet(new Object[] {"doc-a", "doc-b", "ünïcode"}, 8, random);
    SerializerInstance serializer = new CellPacketSerializer().newInstance();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SerializationStream out = serializer.serializeStream(bytes);
    out.writeKey(41L, ANY).writeValue(big, ANY).writeKey(42L, ANY).writeValue(named, ANY);
    out.close();

    DeserializationStream in = serializer.deserializeStream(new ByteArrayInputStream(bytes.toByteArray()));
    scala.collection.Iterator<Tuple2<Object, Object>> records = in.asKeyValueIterator();
    Tuple2<Object, Object> first = records.next();
    assertEquals(41L, first._1());
    assertSame(big, (CellPacket) first._2());
    Tuple2<Object, Object> second = records.next();
    assertEquals(42L, second._1());
    assertSame(named, (CellPacket) second._2());
    assertFalse(records.hasNext(), "the end of the bytes ends the records");
  }

  @Test
  void onlyKeysAndPacketsAreAccepted() {
    SerializationStream out = new CellPacketSerializer().newInstance().serializeStream(new ByteArrayOutputStream());
    assertThrows(IllegalArgumentException.class, () -> out.writeObject("a string", ANY));
  }
}
