package io.gtespark.job.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gtespark.udf.vectors.TopKHeap;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.List;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class TopKListSerializerTest {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

  private static TopKHeap list(int k, Object... scoreThenId) {
    TopKHeap heap = new TopKHeap(k);
    for (int i = 0; i < scoreThenId.length; i += 2) {
      heap.offer((Double) scoreThenId[i], scoreThenId[i + 1]);
    }
    return heap;
  }

  private static void assertSameList(TopKHeap want, TopKHeap got) {
    assertEquals(want.capacity(), got.capacity(), "K");
    List<TopKHeap.Entry> a = want.best();
    List<TopKHeap.Entry> b = got.best();
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).id, b.get(i).id);
      assertEquals(Double.doubleToRawLongBits(a.get(i).score), Double.doubleToRawLongBits(b.get(i).score),
          "scores bit for bit");
    }
  }

  /** Ids of every kind a table has (long, int, string, and a decimal through Java serialization) and their lists come back as written. */
  @Test
  void idsAndListsComeBackAsWritten() {
    double third = 1.0 / 3;
    Object[] keys = {7L, 12, "q-ünï", new BigDecimal("12.50")};
    TopKHeap[] lists = {
        list(3, 0.9, 1L, third, 2L, 0.5, 3L, 0.1, 4L), // full: the worst offer was dropped
        list(10, 0.25, 5, -0.75, 6),
        list(2, 0.5, "doc-b", 0.5, "doc-a"),
        list(4, 0.125, new BigDecimal("1.0")),
    };
    SerializerInstance serializer = new TopKListSerializer().newInstance();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SerializationStream out = serializer.serializeStream(bytes);
    for (int i = 0; i < keys.length; i++) {
      out.writeKey(keys[i], ANY).writeValue(lists[i], ANY);
    }
    out.writeKey(99L, ANY).writeValue(new TopKHeap(5), ANY); // an empty list
    out.close();

    DeserializationStream in = serializer.deserializeStream(new ByteArrayInputStream(bytes.toByteArray()));
    scala.collection.Iterator<Tuple2<Object, Object>> records = in.asKeyValueIterator();
    for (int i = 0; i < keys.length; i++) {
      Tuple2<Object, Object> record = records.next();
      assertEquals(keys[i], record._1());
      assertEquals(keys[i].getClass(), record._1().getClass(), "the id keeps its type");
      assertSameList(lists[i], (TopKHeap) record._2());
    }
    Tuple2<Object, Object> empty = records.next();
    assertEquals(99L, empty._1());
    assertEquals(0, ((TopKHeap) empty._2()).size());
    assertEquals(5, ((TopKHeap) empty._2()).capacity());
    assertFalse(records.hasNext(), "the end of the bytes ends the records");
  }

  @Test
  void aStreamOfSomethingElseIsRefused() {
    SerializationStream out = new TopKListSerializer().newInstance().serializeStream(new ByteArrayOutputStream());
    assertThrows(IllegalArgumentException.class, () -> out.writeObject(null, ANY));
    DeserializationStream in = new TopKListSerializer().newInstance()
        .deserializeStream(new ByteArrayInputStream(new byte[] {'Z', 0, 0}));
    assertThrows(UncheckedIOException.class, () -> in.readObject(ANY));
  }
}
