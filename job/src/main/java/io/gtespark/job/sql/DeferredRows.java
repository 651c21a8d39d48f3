package io.gtespark.job.sql;

import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.Dependency;
import org.apache.spark.OneToOneDependency;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Rows a driver-side computation makes the first time Spark asks for this RDD's partitions: when
 * a query that reads them runs, not when it is analysed, explained or asked for its schema (a
 * Spark Connect client does that before it runs a query). A table function returns these rows as
 * the leaf of its plan, so {@code EXPLAIN SELECT * FROM gte_search(...)} searches nothing. The
 * computation runs once; later reads of the same plan reuse its rows.
 */
final class DeferredRows extends RDD<InternalRow> {
  private static final long serialVersionUID = 1L;
  private static final ClassTag<InternalRow> TAG = ClassTag$.MODULE$.apply(InternalRow.class);

  /** Runs on the driver only; tasks reach the rows it made through this RDD's one dependency. */
  private final transient Supplier<RDD<InternalRow>> make;
  private transient RDD<InternalRow> made;

  DeferredRows(SparkContext sc, Supplier<RDD<InternalRow>> make) {
    super(sc, CollectionConverters.asScala(List.<Dependency<?>>of()).toSeq(), TAG);
    this.make = make;
  }

  private synchronized RDD<InternalRow> made() {
    if (made == null) {
      made = make.get();
    }
    return made;
  }

  @Override
  public Partition[] getPartitions() {
    return made().partitions();
  }

  @Override
  public Seq<Dependency<?>> getDependencies() {
    return CollectionConverters.asScala(List.<Dependency<?>>of(new OneToOneDependency<>(made()))).toSeq();
  }

  @Override
  public scala.collection.Iterator<InternalRow> compute(Partition split, TaskContext context) {
    @SuppressWarnings("unchecked")
    RDD<InternalRow> parent = (RDD<InternalRow>) dependencies().head().rdd();
    return parent.iterator(split, context);
  }

  @Override
  public Seq<String> getPreferredLocations(Partition split) {
    return made().preferredLocations(split);
  }
}
