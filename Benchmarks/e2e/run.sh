#!/usr/bin/env bash
# End to end, default model: `medinfer analyze` (release build) vs pydicom + numpy + ONNX Runtime, one run (issue 9).
#   Benchmarks/e2e/run.sh                 batch 1 latency and batch 8 images/s, 3 alternating rounds (~3-5 min)
# Further arguments go to bench_e2e.py (--rounds, --repeat, --threads).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q -r Benchmarks/requirements.txt
flock /tmp/medinfer-build.lock swift build -c release --product medinfer
BIN="$(swift build -c release --show-bin-path)/medinfer"
exec .venv/bin/python Benchmarks/e2e/bench_e2e.py "$BIN" "$@"
