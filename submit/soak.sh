#!/usr/bin/env bash
# Soak run (not part of CI): pushes a large generated corpus through `pipeline` with GC logging
# and samples the process's resident memory, then prints how throughput, heap after GC and RSS
# moved over the run. The figures in docs/reliability.md come from this script.
#
#   submit/soak.sh [DOCS] [WORKDIR] [-- extra pipeline flags]
#   submit/soak.sh 200000 /tmp/gte-soak -- --model bge-small-en-v1.5-q --approx --min-score 0.9 --k 20
#
# Leaves in WORKDIR: corpus.jsonl, pipeline.log, gc.log, rss.csv (seconds since start, RSS MiB)
# and the pipeline output under out/. The heap is capped (GTE_SOAK_HEAP, default 2g) so that a
# leak would show up as rising old-generation occupancy and then an OutOfMemoryError, not as a
# heap that quietly grows into the machine's memory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCS=${1:-200000}
WORK=${2:-/tmp/gte-soak}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
HEAP=${GTE_SOAK_HEAP:-2g}
SAMPLE_SECONDS=${GTE_SOAK_SAMPLE_SECONDS:-10}

mkdir -p "$WORK"
CORPUS="$WORK/corpus.jsonl"
if [ ! -s "$CORPUS" ] || [ "$(wc -l <"$CORPUS")" -ne "$DOCS" ]; then
  "$ROOT/submit/local.sh" corpus --docs "$DOCS" --seed 42 --output "$CORPUS"
fi

rm -f "$WORK/gc.log" "$WORK/rss.csv"
export GTE_JAVA_OPTS="-Xmx$HEAP -Xlog:gc:file=$WORK/gc.log:uptime,level,tags ${GTE_JAVA_OPTS:-}"
start=$(date +%s)
"$ROOT/submit/local.sh" pipeline --input "$CORPUS" --format json --text-col text --id-col id \
  --output "$WORK/out" --mode overwrite "${EXTRA[@]}" >"$WORK/pipeline.log" 2>&1 &
pid=$!
echo "soak: pipeline pid $pid, $DOCS docs, heap $HEAP, log $WORK/pipeline.log"
# local.sh execs java, so $pid is the JVM once the build (if any) is done.
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$rss" >>"$WORK/rss.csv"
  sleep "$SAMPLE_SECONDS"
done
rc=0
wait "$pid" || rc=$?
echo "soak: pipeline exited with $rc after $(( $(date +%s) - start )) s"

echo "== embed throughput per progress interval (rows/s between consecutive progress lines)"
# "embed: 12,345 rows written, 160 rows/s, tasks 3/40, elapsed 1m17s, ETA 9m02s"
awk '/^embed: .* rows written/ {
       rows = $2; gsub(",", "", rows); e = $0; sub(/.*elapsed /, "", e); sub(/,.*/, "", e);
       s = 0; if (e ~ /h/) { split(e, a, "h"); s += a[1] * 3600; e = a[2] }
       if (e ~ /m/) { split(e, a, "m"); s += a[1] * 60; e = a[2] }
       sub(/s/, "", e); s += e;
       if (s > ps) { printf "  t=%5ds rows=%7d  %6.1f rows/s\n", s, rows, (rows - pr) / (s - ps) }
       pr = rows; ps = s }' "$WORK/pipeline.log"
# Reads "seconds value" lines and prints, per tenth of the run, how many there were and the
# smallest and largest value.
per_tenth() {
  awk -v what="$1" '{ n++; t[n] = $1 + 0; v[n] = $2 + 0 }
    END { if (n == 0) { print "  no " what; exit }
          last = t[n]; for (i = 1; i <= n; i++) { b = int(10 * t[i] / (last + 1e-9)); if (b > 9) b = 9;
            if (!(b in lo) || v[i] < lo[b]) lo[b] = v[i]; if (v[i] > hi[b]) hi[b] = v[i]; cnt[b]++ }
          for (b = 0; b < 10; b++) if (cnt[b]) printf "  %3d%%-%3d%% of %.0fs: %5d %s, %5d / %5d\n",
            b * 10, b * 10 + 10, last, cnt[b], what, lo[b], hi[b] }'
}
echo "== heap after GC (MiB), per tenth of the run: min / max of the collections in it"
# "[12.345s][info][gc] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 512M->130M(2048M) 4.1ms"
awk '/->/ { t = $1; gsub(/[\[\]s]/, "", t); m = $0; sub(/.*->/, "", m); sub(/M.*/, "", m); print t, m }' \
  "$WORK/gc.log" | per_tenth GCs
echo "== process RSS (MiB), per tenth of the run: min / max of the samples in it"
tr , ' ' <"$WORK/rss.csv" | per_tenth samples
grep -E '^(embed done|similarity done|pipeline)' "$WORK/pipeline.log" || true
exit $rc
