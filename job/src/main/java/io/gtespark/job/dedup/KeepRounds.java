package io.gtespark.job.dedup;

import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.Optional;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The keep rule of {@link GreedyKeep} decided in rounds over the pairs, for groups too large for
 * one task: in each round a member whose earlier near-duplicates include a kept one is removed,
 * and one whose earlier near-duplicates are all removed (or who has none) is kept. Every decision
 * is the one the sequential pass makes, and no task holds more than its share of the pairs. The
 * rounds needed follow the longest chain of members whose decisions wait on each other; where that
 * chain is long (a keep order that runs along a chain of near-duplicates), the rounds stop and the
 * members still undecided are left to {@link GreedyKeep} (they then hold no vectors, only ranks).
 */
final class KeepRounds {
  static final byte UNDECIDED = 0;
  static final byte KEPT = 1;
  static final byte REMOVED = 2;
  /** Rounds at most: each is two joins over the group's pairs. */
  static final int MAX_ROUNDS = 64;

  private KeepRounds() {}

  /** What the rounds decided and how many they took. */
  static final class Result {
    final JavaPairRDD<Object, Byte> status;
    final int rounds;
    final long undecided;

    Result(JavaPairRDD<Object, Byte> status, int rounds, long undecided) {
      this.status = status;
      this.rounds = rounds;
      this.undecided = undecided;
    }
  }

  /**
   * Runs rounds on {@code status} (every member of the large groups, all {@link #UNDECIDED}) over
   * {@code laterByEarlier} (each pair among them once, keyed by its earlier member in keep order,
   * valued by the later) until every member is decided, at most {@code leftForOneTask} remain, or
   * a round decides under 1% of those left. The result is persisted; {@code status} is released.
   */
  static Result run(JavaPairRDD<Object, Object> laterByEarlier, JavaPairRDD<Object, Byte> status,
      HashPartitioner partitioner, long leftForOneTask) {
    JavaPairRDD<Object, Byte> current = status.persist(StorageLevel.MEMORY_AND_DISK());
    long undecided = current.count();
    int rounds = 0;
    while (undecided > leftForOneTask && rounds < MAX_ROUNDS) {
      rounds++;
      // What each member hears from its earlier near-duplicates: kept outranks undecided outranks removed.
      JavaPairRDD<Object, Byte> heard = laterByEarlier.join(current, partitioner)
          .mapToPair(t -> new Tuple2<>(t._2()._1(), t._2()._2()))
          .reduceByKey(partitioner, KeepRounds::loudest);
      JavaPairRDD<Object, Byte> next = current.leftOuterJoin(heard, partitioner)
          .mapValues(t -> decide(t._1(), t._2())).persist(StorageLevel.MEMORY_AND_DISK());
      long left = next.filter(t -> t._2() == UNDECIDED).count();
      System.out.printf("dedup: keep round %d, %d members of large groups undecided%n", rounds, left);
      current.unpersist(false);
      current = next;
      boolean stalled = undecided - left < Math.max(1, undecided / 100);
      undecided = left;
      if (stalled) {
        break;
      }
    }
    return new Result(current, rounds, undecided);
  }

  private static byte loudest(byte a, byte b) {
    return a == KEPT || b == KEPT ? KEPT : a == UNDECIDED || b == UNDECIDED ? UNDECIDED : REMOVED;
  }

  private static byte decide(byte now, Optional<Byte> heard) {
    if (now != UNDECIDED) {
      return now;
    }
    if (!heard.isPresent()) {
      return KEPT; // no near-duplicate comes before it
    }
    byte h = heard.get();
    return h == KEPT ? REMOVED : h == REMOVED ? KEPT : UNDECIDED;
  }
}
