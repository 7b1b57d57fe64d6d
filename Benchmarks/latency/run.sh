#!/usr/bin/env bash
# Latency of the read routes of `medinfer serve` under submit load (loopback, default model): 16 clients post
# SampleImages/BrainT1Slice.png to /v1/jobs for 60 s while a sampler GETs one job and /v2/health/ready every
# 50 ms; prints p50/p90/p99/max of both. Target: p99 < 100 ms for both. Python stdlib only. See README.md.
#   Benchmarks/latency/run.sh                          16 clients, 60 s (~1-2 min after the build)
#   Benchmarks/latency/run.sh --workers 2 --json       further arguments go to bench_latency.py
# MEDINFER_BUILD_LOCK=/path/to/lock serialises the release build with other builds on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
Benchmarks/release-build.sh --product medinfer
exec python3 Benchmarks/latency/bench_latency.py --bin .build/release/medinfer "$@"
