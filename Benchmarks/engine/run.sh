#!/usr/bin/env bash
# Engine benchmark: MedInfer (release build) vs ONNX Runtime 1.32, side by side in one run.
#   Benchmarks/engine/run.sh              full sweep: 4 2-D models x batch 1, 8 and unet3d x batch 1,
#                                         x threads 1, 2 (~15-25 min)
#   Benchmarks/engine/run.sh --quick      resnet18 only (or the --models given), few iterations (~1 min)
#   Benchmarks/engine/run.sh --ort-only   the ONNX Runtime half alone (no Swift build)
#   Benchmarks/engine/run.sh --models unet3d   the 3-D U-Net alone (batch 1, threads 1, 2)
# Further arguments go to bench_engine.py (--models, --batches, --threads, --rounds, --iterations).
# Writes Benchmarks/engine/results/engine_table.md (the table for BENCHMARKS.md) and engine.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ORT_ONLY=0
for arg in "$@"; do [ "$arg" = "--ort-only" ] && ORT_ONLY=1; done
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q -r Benchmarks/requirements.txt
# the five benchmark models of Benchmarks/engine/make_models.py, regenerated bit-identically (sha256 checked by bench_engine.py)
if ! .venv/bin/python Benchmarks/engine/make_models.py --check >/dev/null 2>&1; then
  .venv/bin/python Benchmarks/engine/make_models.py
fi
if [ "$ORT_ONLY" = 1 ]; then
  exec .venv/bin/python Benchmarks/engine/bench_engine.py "$@"
fi
swift build -c release --product medinfer
BIN="$(swift build -c release --show-bin-path)/medinfer"
exec .venv/bin/python Benchmarks/engine/bench_engine.py "$BIN" "$@"
