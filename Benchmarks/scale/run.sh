#!/usr/bin/env bash
# Scale-out benchmark (issue 10): images/s of 1 vs 2 `medinfer serve --role worker` processes on one queue, filled
# over HTTP by a `--role api` node, with the default model (Models/), in release mode. Python 3 standard library only.
#   Benchmarks/scale/run.sh                                    embedded SQLite store, 48 images, 2 rounds
#   Benchmarks/scale/run.sh --database postgres://u:p@h/db     the same on PostgreSQL (or MEDINFER_BENCH_DATABASE)
# Further arguments go to bench_scale.py (--images, --rounds, --configs 1x1,2x1,1x2, --max-batch, --max-delay-ms, --timeout).
# MEDINFER_BUILD_LOCK=/path/to/lock serialises the release build with other builds on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
Benchmarks/release-build.sh --product medinfer
exec python3 Benchmarks/scale/bench_scale.py --bin .build/release/medinfer "$@"
