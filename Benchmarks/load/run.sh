#!/usr/bin/env bash
# Load benchmark of `medinfer serve` over loopback (issue 7): N concurrent clients post sample scans to /v1/jobs
# and poll them to completion, on the tiny classifier (the server's own cost) and on the default model, beside
# QueueBenchmark on the same model and count; then peak RSS with 1,000 images queued. Python stdlib only.
#   Benchmarks/load/run.sh                    tiny: 400 images, default model: 48 images, 16 clients (~10 min)
#   Benchmarks/load/run.sh --skip-default     the tiny classifier only (~2 min)
# Further arguments go to bench_load.py (--clients, --tiny-images, --default-images, --tiny-rounds, --default-rounds, --queued, --timeout).
# MEDINFER_BUILD_LOCK=/path/to/lock serialises the two release builds with other builds on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
Benchmarks/release-build.sh --product medinfer
Benchmarks/release-build.sh --product QueueBenchmark
BIN=.build/release
exec python3 Benchmarks/load/bench_load.py --bin "$BIN/medinfer" --queue-benchmark "$BIN/QueueBenchmark" "$@"
