#!/usr/bin/env bash
# Submits a gte-spark stage to a cluster with your own spark-submit (SPARK_HOME or PATH):
#   submit/spark-submit.sh [spark-submit options] -- <stage> [stage options]
# e.g.
#   submit/spark-submit.sh --master yarn --deploy-mode cluster \
#       --properties-file conf/gpu-cluster.properties -- \
#       embed --input s3a://lake/docs --text-col body --id-col id \
#             --output s3a://lake/docs_emb --output-format delta --mode merge --model s3a://models/gte-base
# Masters: yarn, k8s://https://host:port (add --conf spark.kubernetes.container.image=...),
# spark://host:7077. Builds the self-contained job jar on first use (-Pcluster; add -Pcpu via
# GTE_MAVEN_PROFILES=cluster,cpu for the slim CPU-only ONNX Runtime), ships the GPU discovery
# script, and prints the command before running it. Models: a bundled name works everywhere;
# a model directory should be on HDFS/S3/ABFS (or a path that exists on every node).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILES="${GTE_MAVEN_PROFILES:-cluster}"
JAR="$ROOT/job/target/gte-spark-job-cluster.jar"

SUBMIT_ARGS=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do SUBMIT_ARGS+=("$1"); shift; done
if [ $# -eq 0 ]; then
  echo "usage: submit/spark-submit.sh [spark-submit options] -- <stage> [stage options]" >&2
  exit 2
fi
shift # the --

if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/udf/src/main" "$ROOT/job/src/main" "$ROOT/conf/profiles" -newer "$JAR" -print -quit)" ]; then
  echo "gte-spark: building the cluster jar (profiles: $PROFILES)..." >&2
  (cd "$ROOT" && mvn -q -B -ntp package -DskipTests -P"$PROFILES" -pl udf,job -am) >&2
fi

SPARK_SUBMIT="${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit"
CMD=("$SPARK_SUBMIT" --class io.gtespark.job.GteSparkMain --files "$ROOT/submit/gpu-discovery.sh"
     "${SUBMIT_ARGS[@]}" "$JAR" "$@")
echo "gte-spark: ${CMD[*]}" >&2
exec "${CMD[@]}"
