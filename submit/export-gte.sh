#!/usr/bin/env bash
# Exports a GTE model to the directory layout gte-spark reads (model.onnx + tokenizer.json +
# 1_Pooling/config.json). Needs internet access and Python 3; run it once on any machine and
# copy the directory to HDFS/S3 or a shared mount.
#   submit/export-gte.sh gte-base [TARGET_DIR]      # gte-small | gte-base | gte-large
set -euo pipefail
NAME="${1:?usage: submit/export-gte.sh gte-small|gte-base|gte-large [TARGET_DIR]}"
case "$NAME" in gte-small|gte-base|gte-large) ;; *) echo "unknown model '$NAME': use gte-small, gte-base or gte-large" >&2; exit 2;; esac
TARGET="${2:-./models/$NAME}"
if ! command -v optimum-cli >/dev/null 2>&1; then
  echo "optimum-cli not found. Install the exporter first (internet needed):" >&2
  echo "  python3 -m pip install 'optimum[exporters]' sentence-transformers" >&2
  exit 2
fi
optimum-cli export onnx --model "thenlper/$NAME" --task feature-extraction "$TARGET"
mkdir -p "$TARGET/1_Pooling"
# The published GTE checkpoints use masked mean pooling.
cat > "$TARGET/1_Pooling/config.json" <<'JSON'
{"pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true}
JSON
echo "exported to $TARGET; use: submit/local.sh embed --model $TARGET ..."
