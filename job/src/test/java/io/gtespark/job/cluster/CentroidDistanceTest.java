package io.gtespark.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

class CentroidDistanceTest {
  private static scala.collection.Seq<Object> seq(Object... values) {
    return CollectionConverters.asScala(List.of(values)).toSeq();
  }

  @Test
  void cosineAndEuclideanDistancesToTheAssignedCentroid() throws Exception {
    float[][] centroids = {{1f, 0f}, {0f, 1f}};
    assertEquals(0.0, new VectorClusterer.CentroidDistance(centroids, true).call(seq(2f, 0f), 0), 1e-12);
    assertEquals(1.0, new VectorClusterer.CentroidDistance(centroids, true).call(seq(2f, 0f), 1), 1e-12);
    assertEquals(Math.sqrt(2), new VectorClusterer.CentroidDistance(centroids, false).call(seq(1f, 0f), 1), 1e-12);
  }

  @Test
  void aVectorOfAnotherDimensionIsRefusedNotTruncated() {
    float[][] centroids = {{1f, 0f}};
    IllegalArgumentException longer = assertThrows(IllegalArgumentException.class,
        () -> new VectorClusterer.CentroidDistance(centroids, true).call(seq(1f, 0f, 5f), 0));
    assertTrue(longer.getMessage().contains("3 values") && longer.getMessage().contains("2-dimensional"),
        longer.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new VectorClusterer.CentroidDistance(centroids, false).call(seq(1f), 0));
  }
}
