#!/usr/bin/env bash
# The shape of a billion-row run on one machine (docs/scale.md): real vectors spread over many
# files, a cell count meant for a billion rows, and a driver with a 2 GB heap and a 64 MB limit on
# what tasks may send it. What grows with files, partitions or cells shows up here as an abort or
# in the figures this prints, long before a cluster pays for it.
#
#   submit/scale-model.sh                      # 100,000 docs, 1,000 files, nlist 16384
#   DOCS=20000 FILES=400 NLIST=2048 submit/scale-model.sh
#
# Steps (each skipped when its output exists, so a rerun resumes):
#   1. corpus: DOCS generated English documents, split into FILES JSON-lines files;
#   2. embed: a sliced Delta append (the int8 model, at least SLICES commits, 50 by default), written
#      as FILES vector files;
#   3. similarity --self --approx, dedup and cluster over those files, one file a partition,
#      with -Xmx2g and spark.driver.maxResultSize=64m;
#   4. a table of each stage's costs from its _gte_metrics.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCS=${DOCS:-100000}
FILES=${FILES:-1000}
NLIST=${NLIST:-16384}
NPROBE=${NPROBE:-32}
K=${K:-1000}
WORK=${WORK:-/tmp/gte-scale-$DOCS-$FILES}
SLICES=${SLICES:-50}
LOCAL="$ROOT/submit/local.sh"
mkdir -p "$WORK"

if [ ! -d "$WORK/docs" ]; then
  "$LOCAL" corpus --docs "$DOCS" --seed 5 --output "$WORK/corpus.jsonl"
  mkdir -p "$WORK/docs.tmp"
  split -n "l/$FILES" -d -a 5 --additional-suffix=.jsonl "$WORK/corpus.jsonl" "$WORK/docs.tmp/part-"
  mv "$WORK/docs.tmp" "$WORK/docs"
fi

# A slice is whole files of at least --commit-rows rows, so it overshoots by up to one file: a
# file's rows less keeps the count of slices at SLICES or more. Each slice writes FILES/SLICES
# files, so the table holds about FILES vector files.
ROWS_PER_FILE=$(( (DOCS + FILES - 1) / FILES ))
COMMIT_ROWS=$(( DOCS / SLICES - ROWS_PER_FILE ))
[ "$COMMIT_ROWS" -ge 1 ] || COMMIT_ROWS=1
if [ ! -f "$WORK/vectors/_gte_metrics.json" ]; then
  GTE_JAVA_OPTS="-Xmx2g" "$LOCAL" embed --input "$WORK/docs" --format json --text-col text --id-col id \
    --model bge-small-en-v1.5-q --output "$WORK/vectors" --output-format delta --mode append \
    --commit-rows "$COMMIT_ROWS" --partitions $(( (FILES + SLICES - 1) / SLICES ))
fi

# One vector file a partition by default: files are about 1.6 KB a row, so this size keeps them
# apart. PARTITION_BYTES sets another split size (fewer, larger partitions); TAG names the outputs
# of such a variant (similarity$TAG, ...) so that several shapes share one embedded table.
SPLIT=${PARTITION_BYTES:-$(( ROWS_PER_FILE * 1600 + 4096 ))}
TAG=${TAG:-}
export GTE_JAVA_OPTS="-Xmx2g -Dspark.driver.maxResultSize=64m -Dspark.sql.files.maxPartitionBytes=$SPLIT -Dspark.sql.files.openCostInBytes=1024"
[ -f "$WORK/similarity$TAG/_gte_metrics.json" ] || "$LOCAL" similarity --self --approx --input "$WORK/vectors" \
  --top-k 10 --nlist "$NLIST" --nprobe "$NPROBE" --output "$WORK/similarity$TAG" --mode overwrite
[ -f "$WORK/dedup$TAG/_gte_metrics.json" ] || "$LOCAL" dedup --input "$WORK/vectors" --nlist "$NLIST" \
  --nprobe "$NPROBE" --output "$WORK/dedup$TAG" --mode overwrite
[ -f "$WORK/cluster$TAG/_gte_metrics.json" ] || "$LOCAL" cluster --input "$WORK/vectors" --k "$K" --max-iter 5 \
  --output "$WORK/cluster$TAG" --mode overwrite

echo
echo "scale model: $DOCS docs, $FILES files, split $SPLIT bytes, nlist $NLIST, nprobe $NPROBE, k $K (work folder $WORK)"
# input: Spark's input metric (it counts reads of cached blocks, and misses Parquet's vectored
# reads); scanned: the size of the files the stage's scans selected (docs/scale.md).
printf '%-12s %8s %8s %11s %12s %11s %11s %11s %7s\n' stage seconds tasks "driver MiB" "task result" shuffle \
  input scanned recall
for stage in vectors "similarity$TAG" "dedup$TAG" "cluster$TAG"; do
  python3 - "$WORK/$stage/_gte_metrics.json" "$stage" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
def g(k, d="-"):
    return m.get(k, d)
mb = lambda v: "-" if v in ("-", None) else "%.1f MB" % (float(v) / 1e6)
print("%-12s %8s %8s %11s %12s %11s %11s %11s %7s" % (sys.argv[2], g("seconds"), g("tasks"), g("driverPeakHeapMiB"),
      mb(g("largestTaskResultBytes")), mb(g("shuffleBytesWritten")), mb(g("inputBytesRead")),
      mb(g("fileBytesScanned")), g("recallAtK")))
EOF
done
