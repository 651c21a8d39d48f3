package io.gtespark.job.sql;

import io.gtespark.udf.spark.GteSparkSessionExtension;
import org.apache.spark.sql.SparkSessionExtensions;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Everything gte-spark adds to SQL, for sessions that have the job jar:
 * {@code spark.sql.extensions=io.gtespark.job.sql.GteSessionExtension} gives the engine's
 * functions ({@code gte_embed}, {@code gte_similarity}, {@code gte_vector}) and the index's table
 * functions ({@code gte_search}, {@code gte_index_status}). Sessions with only the engine jar use
 * {@link GteSparkSessionExtension}, which has no table functions.
 */
public final class GteSessionExtension extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    new GteSparkSessionExtension().apply(extensions);
    extensions.injectTableFunction(IndexTableFunctions.search());
    extensions.injectTableFunction(IndexTableFunctions.status());
    return BoxedUnit.UNIT;
  }
}
