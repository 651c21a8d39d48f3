#!/usr/bin/env bash
# Runs a gte-spark stage in Spark local mode with nothing but a JDK 17 and Maven:
#   submit/local.sh <stage> [options]        e.g. submit/local.sh embed --help
# Builds the project on first use (and again when sources change). Spark properties come from
# conf/local.properties, then GTE_SPARK_CONF (a properties file), then -D options in
# GTE_JAVA_OPTS; command-line flags win over all of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CP_FILE="$ROOT/job/target/local-classpath.txt"
# Touched after each build here: Maven rewrites CP_FILE only when the classpath changes.
STAMP="$ROOT/job/target/.local-build-stamp"

# The engine's and the job's jars, named with the version that the classpath file gives.
module_jars() {
  local version
  version=$(tr ':' '\n' < "$CP_FILE" | sed -n 's:.*/gte-spark-udf-\([^/]*\)\.jar$:\1:p' | head -n 1)
  JOB_JAR="$ROOT/job/target/gte-spark-job-$version.jar"
  UDF_JAR="$ROOT/udf/target/gte-spark-udf-$version.jar"
}

needs_build() {
  [ ! -f "$CP_FILE" ] && return 0
  module_jars
  { [ ! -f "$JOB_JAR" ] || [ ! -f "$UDF_JAR" ]; } && return 0
  local since="$CP_FILE"
  [ "$STAMP" -nt "$CP_FILE" ] && since="$STAMP"
  [ -n "$(find "$ROOT/pom.xml" "$ROOT/udf/pom.xml" "$ROOT/job/pom.xml" "$ROOT/udf/src/main" \
      "$ROOT/job/src/main" "$ROOT/conf/profiles" -newer "$since" -print -quit 2>/dev/null)" ]
}

JAVA_BIN="${JAVA:-java}"
if ! command -v "$JAVA_BIN" >/dev/null 2>&1; then
  echo "error: no java on PATH. gte-spark needs a JDK 17 or newer: install one (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA to its bin/java." >&2
  exit 2
fi
JAVA_VERSION=$("$JAVA_BIN" -version 2>&1 | sed -n '/ version "/{s/.* version "\([^"]*\)".*/\1/p;q;}')
JAVA_MAJOR=${JAVA_VERSION%%.*}
[ "$JAVA_MAJOR" = 1 ] && JAVA_MAJOR=0   # 1.8 and older
if [[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] && [ "$JAVA_MAJOR" -lt 17 ]; then
  echo "error: $JAVA_BIN is Java $JAVA_VERSION; Spark 4 and gte-spark need Java 17 or newer. Put a JDK 17 first on PATH or set JAVA (and JAVA_HOME for Maven)." >&2
  exit 2
fi

if needs_build; then
  if ! command -v mvn >/dev/null 2>&1; then
    echo "error: the first run builds gte-spark with Maven, and mvn is not on PATH (Debian: apt-get install maven)." >&2
    exit 2
  fi
  echo "gte-spark: building (first run downloads dependencies from Maven Central; later runs start at once)..." >&2
  # Maven 3.8 prints colour resets ("ESC[0m") even with -B -q; they are stripped from the console
  # (an escape written with $'...', which GNU and BSD sed both read).
  esc=$'\033'
  (cd "$ROOT" && mvn -q -B -ntp -Dstyle.color=never package -DskipTests -pl udf,job -am 2>&1) \
    | sed "s/${esc}\[[0-9;]*m//g" >&2
  touch "$STAMP"
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

# The engine and the job run from their jars (not target/classes): the class-data archive below
# can only hold classes that come from jars.
module_jars
if [ ! -f "$JOB_JAR" ] || [ ! -f "$UDF_JAR" ]; then
  echo "error: the build left no $JOB_JAR or $UDF_JAR; run 'mvn -B package -DskipTests -pl udf,job -am' in $ROOT and look at what it says." >&2
  exit 2
fi
CLASSPATH="$JOB_JAR:$UDF_JAR:$(cat "$CP_FILE")"

# Class-data sharing (AppCDS): the first run after a build also saves the ~30,000 classes it loads
# (parsed and verified) to an archive that later runs map at start instead of loading them again,
# which starts a command about 4 s sooner on 2 cores. The JVM writes the archive as it exits;
# local.sh execs Java (so that a kill reaches Java itself), so the archive is written under a
# temporary name and the next run checks it (a run killed while writing leaves a broken one) and
# puts it in place. GTE_CDS=0 turns this off.
CDS_OPTS=()
wants_archive() {
  [ "${GTE_CDS:-1}" != 0 ] || return 1
  [ $# -gt 0 ] || return 1
  local a
  for a in "$@"; do
    case "$a" in --help|-h|help) return 1 ;; esac
  done
}
if wants_archive "$@"; then
  ARCHIVE="$ROOT/job/target/local-cds-java$JAVA_VERSION.jsa"
  fresh() { [ -f "$1" ] && [ "$1" -nt "$JOB_JAR" ] && [ "$1" -nt "$UDF_JAR" ] && [ "$1" -nt "$CP_FILE" ]; }
  if ! fresh "$ARCHIVE"; then
    for pending in "$ARCHIVE".*.tmp; do
      [ -f "$pending" ] || continue
      writer=${pending%.tmp}; writer=${writer##*.}
      kill -0 "$writer" 2>/dev/null && continue   # still running (and writing)
      # A truncated archive crashes the JVM that maps it: this check may crash, quietly, instead.
      if fresh "$pending" && "$JAVA_BIN" -Xshare:on -XX:SharedArchiveFile="$pending" -Xlog:disable \
          -XX:ErrorFile=/dev/null -XX:-CreateCoredumpOnCrash -cp "$CLASSPATH" -version >/dev/null 2>&1; then
        mv -f "$pending" "$ARCHIVE"
      else
        rm -f "$pending"
      fi
    done
  fi
  if fresh "$ARCHIVE"; then
    CDS_OPTS+=("-XX:SharedArchiveFile=$ARCHIVE")
  else
    echo "gte-spark: this first run after a build also saves a class-data archive (job/target/$(basename "$ARCHIVE")) so that later runs start sooner; it ends some seconds later than they will (GTE_CDS=0 turns this off)" >&2
    CDS_OPTS+=("-XX:ArchiveClassesAtExit=$ARCHIVE.$$.tmp")
  fi
  # The JVM's own warnings go to stderr, and the archive's notes (classes it cannot hold) nowhere.
  CDS_OPTS+=(-Xlog:disable -Xlog:all=warning:stderr "-Xlog:cds*=off:stderr")
fi

export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# A system OpenBLAS (netlib's JNIBLAS) would otherwise start a thread per core inside every task.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
# The JDK says "WARNING: Using incubator modules: jdk.incubator.vector" at every start: that module
# is what makes similarity's matrix products fast (conf/jvm-options). Only that one line is dropped.
exec "$JAVA_BIN" ${CDS_OPTS[@]+"${CDS_OPTS[@]}"} "${JAVA_OPTS[@]}" -cp "$CLASSPATH" io.gtespark.job.GteSparkMain "$@" \
  2> >(grep --line-buffered -v '^WARNING: Using incubator modules: jdk.incubator.vector$' >&2)
