package io.gtespark.udf.spark;

import io.gtespark.udf.encode.EncodeCounters;
import io.gtespark.udf.encode.EncoderSpec;
import io.gtespark.udf.encode.HalfFloat;
import io.gtespark.udf.encode.TextEncoder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The {@code mapPartitions} function that embeds text columns: it streams the partition in
 * chunks of {@code chunkRows} rows, encodes each text column of a chunk together (sorted,
 * token-budget batches), and emits the input rows in their order with a vector per text column
 * appended. Memory is bounded by the chunk, however large the partition. The model is loaded
 * (once per JVM) only when the first row arrives.
 */
public final class EmbedPartitionFunction implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final EncoderSpec spec;
  private final int[] textIndices;
  private final EncodeCountersAccumulator counters;
  private final boolean float16;

  /** {@code counters} may be null when nobody reads the counts. */
  public EmbedPartitionFunction(EncoderSpec spec, EmbeddingColumns columns, EncodeCountersAccumulator counters) {
    this.spec = spec;
    this.textIndices = columns.textIndices();
    this.counters = counters;
    this.float16 = columns.float16();
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    return new ChunkIterator(input);
  }

  private final class ChunkIterator implements Iterator<Row> {
    private final Iterator<Row> input;
    private Iterator<Row> ready = Collections.emptyIterator();
    private TextEncoder encoder;

    ChunkIterator(Iterator<Row> input) {
      this.input = input;
    }

    @Override
    public boolean hasNext() {
      while (!ready.hasNext() && input.hasNext()) {
        ready = nextChunk();
      }
      return ready.hasNext();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.next();
    }

    private Iterator<Row> nextChunk() {
      if (encoder == null) {
        encoder = TextEncoder.forTask(spec);
      }
      List<Row> rows = new ArrayList<>(spec.chunkRows());
      while (rows.size() < spec.chunkRows() && input.hasNext()) {
        rows.add(input.next());
      }
      float[][][] vectors = new float[textIndices.length][][];
      List<String> texts = new ArrayList<>(rows.size());
      for (int c = 0; c < textIndices.length; c++) {
        texts.clear();
        for (Row r : rows) {
          texts.add(r.isNullAt(textIndices[c]) ? null : r.getString(textIndices[c]));
        }
        vectors[c] = encoder.encode(texts);
      }
      List<Row> out = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        Object[] values = new Object[r.length() + textIndices.length];
        for (int f = 0; f < r.length(); f++) {
          values[f] = r.get(f);
        }
        for (int c = 0; c < textIndices.length; c++) {
          values[r.length() + c] = float16 ? HalfFloat.encode(vectors[c][i]) : vectors[c][i];
        }
        out.add(RowFactory.create(values));
      }
      if (counters != null) {
        EncodeCounters delta = encoder.counters().copy();
        encoder.counters().reset();
        counters.add(delta);
      }
      return out.iterator();
    }
  }
}
