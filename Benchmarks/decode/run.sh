#!/usr/bin/env bash
# Decode benchmark: MedInfer (release build) vs Pillow / pydicom, side by side in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product DecodeBenchmark
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q -r Benchmarks/requirements.txt
.venv/bin/python Benchmarks/decode/bench_decode.py "$(swift build -c release --show-bin-path)/DecodeBenchmark" "${ROUNDS:-3}"
