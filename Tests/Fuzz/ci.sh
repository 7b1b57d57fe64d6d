#!/usr/bin/env bash
# The ONNX fuzz target as `make test` runs it: a bounded, reproducible run (fixed seed, at most RUNS inputs,
# at most SECONDS seconds) over model bytes -> ONNXModel.load -> Engine.Model -> plan, with
# AddressSanitizer, after every committed regression input has run clean. Seeds: the ONNX models of
# Tests/Fixtures (the node tests' and the engine tests'). A crash fails the run and leaves crash-onnx-* here.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${1:-1000000}
SECONDS_CAP=${2:-150}
FLAGS=(-c release --product FuzzONNX -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=address)
# SwiftPM keeps this package's build plan when only the root package's source folders change, and then misses
# a file added there ("cannot find … in scope"): drop the plan so it is made again (seconds).
rm -f .build/release.yaml
swift build "${FLAGS[@]}"
BIN=$(swift build "${FLAGS[@]}" --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for d in ../Fixtures/onnx-models/*/ ../Fixtures/onnx-node/test_*/; do
  [ -f "$d/model.onnx" ] && cp "$d/model.onnx" "$work/$(basename "$d").onnx"
done
cp regressions/onnx/* "$work/"
# Swift's backtracer would otherwise answer a trap before libFuzzer records the input.
export SWIFT_BACKTRACE=enable=no
echo "== FuzzONNX: $(ls regressions/onnx | wc -l) regression inputs"
if ! out=$("$BIN/FuzzONNX" regressions/onnx/* 2>&1); then echo "$out" | tail -40; exit 1; fi
echo "== FuzzONNX: $RUNS runs at most ${SECONDS_CAP}s, seed 1, $(ls "$work" | wc -l) seed models"
"$BIN/FuzzONNX" "$work" -seed=1 -runs="$RUNS" -max_total_time="$SECONDS_CAP" -max_len=262144 -rss_limit_mb=2048 \
  -timeout=10 -artifact_prefix=crash-onnx- -print_final_stats=1 2>&1 | tail -8
