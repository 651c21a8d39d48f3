package io.gtespark.udf.spark;

import io.gtespark.udf.encode.EncodeCounters;
import org.apache.spark.util.AccumulatorV2;

/** Sums {@link EncodeCounters} of all tasks on the driver (successful task attempts only). */
public final class EncodeCountersAccumulator extends AccumulatorV2<EncodeCounters, EncodeCounters> {
  private static final long serialVersionUID = 1L;

  private EncodeCounters sum = new EncodeCounters();

  @Override
  public boolean isZero() {
    return sum.isZero();
  }

  @Override
  public AccumulatorV2<EncodeCounters, EncodeCounters> copy() {
    EncodeCountersAccumulator c = new EncodeCountersAccumulator();
    c.sum = sum.copy();
    return c;
  }

  @Override
  public void reset() {
    sum = new EncodeCounters();
  }

  @Override
  public void add(EncodeCounters v) {
    sum.add(v);
  }

  @Override
  public void merge(AccumulatorV2<EncodeCounters, EncodeCounters> other) {
    sum.add(other.value());
  }

  @Override
  public EncodeCounters value() {
    return sum;
  }
}
