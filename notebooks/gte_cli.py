"""The gte-spark command line from a notebook: run a stage and read what it wrote.

The notebooks call the same `submit/local.sh` a user types, so what works here works in a
shell. Outputs are written as JSON lines, which plain pandas reads without pyarrow.
Set GTE_NOTEBOOK_OUT to choose where outputs go (default /tmp/gte-notebooks).
"""
import glob
import json
import os
import re
import subprocess

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOCAL_SH = os.path.join(ROOT, "submit", "local.sh")
DATA = os.path.join(HERE, "data")
OUT = os.environ.get("GTE_NOTEBOOK_OUT", "/tmp/gte-notebooks")

# Spark's log lines ("12:00:04 WARN MemoryStore: ...") are for log files; a notebook shows the
# stage's own output. Errors are kept, and everything is shown when a command fails.
_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN) ")
_NOISE = ("WARNING: Using incubator modules",)


def out(name):
    """A folder under OUT for one output."""
    os.makedirs(OUT, exist_ok=True)
    return os.path.join(OUT, name)


def run(stage, *args):
    """Runs `submit/local.sh STAGE ARGS...`, prints its output, and fails the cell on a non-zero exit.

    Returns nothing, so that a cell ending with it shows only the printed output.
    """
    cmd = [LOCAL_SH, stage, *[str(a) for a in args]]
    print("$ submit/local.sh " + " ".join([stage, *[_quote(str(a)) for a in args]]))
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout)
        raise RuntimeError(f"submit/local.sh {stage} exited with {proc.returncode}")
    print("\n".join(l for l in proc.stdout.splitlines()
                    if not _LOG_LINE.match(l) and not any(n in l for n in _NOISE)))


def read_table(folder):
    """All rows of a JSON-lines output folder (Spark's part files) as one DataFrame."""
    parts = sorted(glob.glob(os.path.join(folder, "part-*.json")))
    if not parts:
        raise FileNotFoundError(f"no part-*.json files in {folder}: was it written with --output-format json?")
    frames = [pd.read_json(p, lines=True) for p in parts if os.path.getsize(p) > 0]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def read_json(path):
    """One JSON file, such as _gte_metrics.json or summary.json."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _quote(s):
    return s if s and all(c.isalnum() or c in "-_./=:," for c in s) else json.dumps(s)
