#!/usr/bin/env bash
# Runs a gte-spark stage in Spark local mode with nothing but a JDK 17 and Maven:
#   submit/local.sh <stage> [options]        e.g. submit/local.sh embed --help
# Builds the project on first use (and again when sources change). Spark properties come from
# conf/local.properties, then GTE_SPARK_CONF (a properties file), then -D options in
# GTE_JAVA_OPTS; command-line flags win over all of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CP_FILE="$ROOT/job/target/local-classpath.txt"

needs_build() {
  [ ! -f "$CP_FILE" ] && return 0
  [ -n "$(find "$ROOT/pom.xml" "$ROOT/udf/pom.xml" "$ROOT/job/pom.xml" "$ROOT/udf/src/main" \
      "$ROOT/job/src/main" "$ROOT/conf/profiles" -newer "$CP_FILE" -print -quit 2>/dev/null)" ]
}

if needs_build; then
  echo "gte-spark: building (first run downloads dependencies from Maven Central; later runs start at once)..." >&2
  (cd "$ROOT" && mvn -q -B -ntp package -DskipTests -pl udf,job -am) >&2
fi

props_to_opts() {
  # "key value" or "key=value" lines -> -Dkey=value
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1" |
    sed -E 's/^[[:space:]]*([^[:space:]=]+)[[:space:]]*[=[:space:]][[:space:]]*(.*)$/-D\1=\2/'
}

JAVA_OPTS=()
while IFS= read -r line; do JAVA_OPTS+=("$line"); done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/conf/jvm-options")
while IFS= read -r line; do JAVA_OPTS+=("$line"); done < <(props_to_opts "$ROOT/conf/local.properties")
if [ -n "${GTE_SPARK_CONF:-}" ]; then
  while IFS= read -r line; do JAVA_OPTS+=("$line"); done < <(props_to_opts "$GTE_SPARK_CONF")
fi
JAVA_OPTS+=("-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties")
# shellcheck disable=SC2206
JAVA_OPTS+=(${GTE_JAVA_OPTS:-})

export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
CLASSPATH="$ROOT/job/target/classes:$ROOT/udf/target/classes:$(cat "$CP_FILE")"
exec "${JAVA:-java}" "${JAVA_OPTS[@]}" -cp "$CLASSPATH" io.gtespark.job.GteSparkMain "$@"
