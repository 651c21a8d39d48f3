#!/usr/bin/env bash
# Checks that this node can run gte-spark's CUDA path before a job finds out the hard way.
# It reports the NVIDIA driver and GPUs, then every shared library the CUDA build of ONNX
# Runtime loads (CUDA 12 runtime, cuBLAS, cuFFT, cuRAND, cuDNN 9), where the dynamic loader
# finds each one, and any other major version of it lying on disk that the loader would not
# take (a CUDA 13 cuBLAS does not satisfy libcublas.so.12). Exit status: 0 when everything
# is there, 1 when something is missing. Run it on a GPU node with the same LD_LIBRARY_PATH
# the executors get.
#
#   submit/gpu-preflight.sh            # human-readable report
#   GTE_PREFLIGHT_SEARCH="/opt /usr" submit/gpu-preflight.sh   # where to look for other versions
set -uo pipefail

# The sonames libonnxruntime_providers_cuda.so of onnxruntime_gpu 1.23 lists as NEEDED
# (readelf -d); keep in step with onnxruntime.version in pom.xml.
NEEDED=(libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcurand.so.10 libcudnn.so.9)
SEARCH_DIRS=${GTE_PREFLIGHT_SEARCH:-"/usr /opt /lib /lib64"}

status=0
say() { printf '%s\n' "$*"; }

say "== NVIDIA driver"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader 2>&1 \
    | sed 's/^/  gpu /'
  cuda_driver=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -n 1)
  say "  driver supports CUDA up to: ${cuda_driver:-unknown}"
else
  say "  MISSING: nvidia-smi not found (no NVIDIA driver on this node)"
  status=1
fi

say "== Java"
if command -v java >/dev/null 2>&1; then
  java -version 2>&1 | sed -n 1p | sed 's/^/  /'
else
  say "  MISSING: no java on PATH (gte-spark needs a JDK or JRE 17 on every node)"
  status=1
fi

# Where the dynamic loader would find a soname: LD_LIBRARY_PATH first, then the ld cache.
find_on_loader_path() {
  local name=$1 dir
  IFS=: read -r -a dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in "${dirs[@]}"; do
    [ -n "$dir" ] && [ -e "$dir/$name" ] && { printf '%s\n' "$dir/$name"; return 0; }
  done
  if command -v ldconfig >/dev/null 2>&1; then
    ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n { print $NF; exit }' | grep . && return 0
  fi
  return 1
}

say "== CUDA libraries ONNX Runtime's CUDA provider needs"
for lib in "${NEEDED[@]}"; do
  if where=$(find_on_loader_path "$lib"); then
    say "  ok      $lib -> $where"
  else
    stem=${lib%%.so*}
    # shellcheck disable=SC2086
    others=$(find $SEARCH_DIRS -xdev -name "${stem}.so*" \( -type f -o -type l \) 2>/dev/null \
      | sort | head -n 6 | paste -sd' ' -)
    say "  MISSING $lib${others:+ (on disk but not loadable as $lib: $others)}"
    status=1
  fi
done

if [ $status -eq 0 ]; then
  say "== ready: this node can run --device cuda"
else
  say "== not ready: install CUDA 12 and cuDNN 9 for CUDA 12 (or put them on LD_LIBRARY_PATH);"
  say "   until then --device auto runs on the CPU and --device cuda fails."
fi
exit $status
