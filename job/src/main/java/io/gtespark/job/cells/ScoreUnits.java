package io.gtespark.job.cells;

import io.gtespark.job.metrics.MaxAccumulator;
import io.gtespark.udf.vectors.TopKHeap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Scores the units of one partition, whose packets arrive sorted by unit with each unit's corpus
 * packets first: those are ordered by cell once ({@link UnitScorer#prepare}), then every query
 * packet is scored against them and its partial top-K lists leave at once. A self search's corpus
 * rows leave with theirs when the unit ends.
 */
final class ScoreUnits implements org.apache.spark.api.java.function.FlatMapFunction<
    Iterator<Tuple2<Long, CellPacket>>, Tuple2<Object, TopKHeap>> {
  private static final long serialVersionUID = 1L;
  private final int k;
  private final boolean excludeSelf;
  private final double minScore;
  private final boolean self;
  private final LongAccumulator pairsScored;
  private final MaxAccumulator unitDocs;
  private final MaxAccumulator unitQueries;

  ScoreUnits(int k, boolean excludeSelf, double minScore, boolean self, LongAccumulator pairsScored,
      MaxAccumulator unitDocs, MaxAccumulator unitQueries) {
    this.k = k;
    this.excludeSelf = excludeSelf;
    this.minScore = minScore;
    this.self = self;
    this.pairsScored = pairsScored;
    this.unitDocs = unitDocs;
    this.unitQueries = unitQueries;
  }

  @Override
  public Iterator<Tuple2<Object, TopKHeap>> call(Iterator<Tuple2<Long, CellPacket>> packets) {
    UnitScorer scorer = new UnitScorer(k, excludeSelf, minScore, self);
    return new Iterator<Tuple2<Object, TopKHeap>>() {
      private Iterator<Tuple2<Object, TopKHeap>> ready = java.util.Collections.emptyIterator();
      private long unit = -1;
      private final List<CellPacket> corpus = new ArrayList<>();
      private UnitScorer.Docs docs;
      private boolean prepared;

      @Override
      public boolean hasNext() {
        while (!ready.hasNext() && (packets.hasNext() || unit >= 0)) {
          if (!packets.hasNext()) {
            ready = endUnit().iterator();
            unit = -1;
            continue;
          }
          Tuple2<Long, CellPacket> p = packets.next();
          long key = p._1();
          List<Tuple2<Object, TopKHeap>> out = new ArrayList<>();
          if ((key >>> 1) != unit) {
            out.addAll(endUnit());
            unit = key >>> 1;
          }
          if ((key & 1) == 0) {
            corpus.add(p._2());
          } else {
            startScoring();
            out.addAll(scoreQueries(p._2(), -1));
          }
          ready = out.iterator();
        }
        return ready.hasNext();
      }

      /**
       * Once a unit's corpus is in: its rows ordered by cell, and in a self search its corpus
       * packets scored as the queries they also are (their lists stay with the corpus rows').
       */
      private void startScoring() {
        if (prepared) {
          return;
        }
        prepared = true;
        docs = scorer.prepare(corpus);
        if (docs != null) {
          unitDocs.add((long) docs.rows);
          if (self) {
            int firstRow = 0;
            for (CellPacket packet : corpus) {
              scoreQueries(packet, firstRow);
              firstRow += packet.rows();
            }
          }
        }
        corpus.clear();
      }

      /** A packet's partial lists; for the unit's own rows ({@code ownFrom} >= 0) none, they stay in {@code docs}. */
      private List<Tuple2<Object, TopKHeap>> scoreQueries(CellPacket queries, int ownFrom) {
        if (docs == null) {
          return List.of();
        }
        unitQueries.add((long) queries.rows());
        long before = scorer.pairs();
        List<Tuple2<Object, TopKHeap>> out = List.of();
        if (ownFrom >= 0) {
          scorer.scoreOwn(docs, queries, ownFrom);
        } else {
          out = scorer.score(docs, queries);
        }
        pairsScored.add(scorer.pairs() - before);
        return out;
      }

      /** The finished unit's corpus lists (a self search), and a clean slate for the next. */
      private List<Tuple2<Object, TopKHeap>> endUnit() {
        if (unit >= 0) {
          startScoring();
        }
        List<Tuple2<Object, TopKHeap>> out = UnitScorer.docLists(docs);
        docs = null;
        prepared = false;
        corpus.clear();
        return out;
      }

      @Override
      public Tuple2<Object, TopKHeap> next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return ready.next();
      }
    };
  }
}
