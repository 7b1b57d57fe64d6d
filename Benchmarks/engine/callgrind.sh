#!/usr/bin/env bash
# Noise-free engine figure: instructions (callgrind "Ir") of one batch-1 ResNet-18 inference on 1 thread.
#   Benchmarks/engine/callgrind.sh                 resnet18, batch 1
#   Benchmarks/engine/callgrind.sh MODEL BATCH     another model of Benchmarks/engine/models/ or batch
#   NO_BUILD=1 Benchmarks/engine/callgrind.sh      use the existing release build
#   MEDINFER_BIN=/path/medinfer Benchmarks/engine/callgrind.sh   another binary (no build): A/B of two builds
# Runs `medinfer bench --warmup 1 --iterations 1` under valgrind --tool=callgrind with a profile dump after
# each Plan.run: dump 1 is model load, planning and the first run (which also packs the weights and fills
# the arena), dump 2 is exactly one steady-state run, the figure BENCHMARKS.md records. Instruction counts
# do not depend on the machine's load, so they can compare two builds on a shared host; they do not see
# cache misses or memory stalls (times still decide). ~3-5 min for ResNet-18 (valgrind runs ~50x slower).
#   BENCH_ARGS="--conv-algorithm winogradF4" ...   extra `medinfer bench` arguments
# Writes Benchmarks/engine/results/callgrind/ (or $CALLGRIND_OUT) and prints the totals and the top
# functions of run 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${1:-resnet18}"
BATCH="${2:-1}"
if [ ! -f "Benchmarks/engine/models/$MODEL.onnx" ]; then
  if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
  .venv/bin/pip install -q -r Benchmarks/requirements.txt
  .venv/bin/python Benchmarks/engine/make_models.py
fi
if [ -z "${MEDINFER_BIN:-}" ] && [ "${NO_BUILD:-0}" != 1 ]; then
  # One build at a time on the shared host (see README): the build lock, when it exists.
  flock /tmp/medinfer-build.lock swift build -c release --product medinfer
fi
BIN="${MEDINFER_BIN:-$(swift build -c release --show-bin-path)/medinfer}"
OUT="${CALLGRIND_OUT:-Benchmarks/engine/results/callgrind}"
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.out.*
# Plan.run(_:workers:) is `$s6Engine4PlanC3run_7workers...` mangled: the run that does the work (the public
# Plan.run(_:) tail-calls it, so a dump after that one would come before the work). Binaries before
# `workers` existed have only Plan.run(_:).
RUN_SYMBOL='$s6Engine4PlanC3run_7workers*'
if ! nm "$BIN" | grep ' [Tt] \$s6Engine4PlanC3run_7workers' >/dev/null; then
  RUN_SYMBOL='$s6Engine4PlanC3run*'
fi
if ! nm "$BIN" | grep ' [Tt] \$s6Engine4PlanC3run' >/dev/null; then
  echo "callgrind.sh: no Plan.run symbol ($RUN_SYMBOL) in $BIN" >&2
  exit 1
fi
# Valgrind 3.19 cannot read the DWARF 5 the Swift toolchain emits ("unhandled dwarf2 abbrev form"): run a
# copy without debug info (the symbol table stays, so the profile is per function, not per line).
objcopy --strip-debug "$BIN" "$OUT/medinfer"
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" --dump-after="$RUN_SYMBOL" \
  --dump-instr=no --collect-jumps=no --compress-strings=no --compress-pos=no \
  "$OUT/medinfer" bench "Benchmarks/engine/models/$MODEL.onnx" --batch "$BATCH" --threads 1 --warmup 1 --iterations 1 \
  ${BENCH_ARGS:-} >"$OUT/callgrind.log" 2>&1 || { cat "$OUT/callgrind.log" >&2; exit 1; }
# Dumps: <file>.1 (load + plan + first run), <file>.2 (the second run), <file> (the rest, exit).
FIRST=$(ls "$OUT"/callgrind.out.*.1)
SECOND=$(ls "$OUT"/callgrind.out.*.2)
# Self cost per function: cost lines after `fn=`, except the inclusive cost line that follows each `calls=`
# (callgrind_annotate 3.19 attributes a --dump-after part wholly to __libc_start_main).
self_costs() {
  awk '/^fn=/ { fn = substr($0, 4); next } /^calls=/ { skip = 1; next }
       /^[0-9]/ { if (skip) { skip = 0; next } self[fn] += $2 }
       END { for (f in self) print self[f], f }' "$1" | sort -rn
}
total() { self_costs "$1" | awk '{ t += $1 } END { print t }'; }
DEMANGLE=cat
if command -v swift-demangle >/dev/null; then DEMANGLE="swift-demangle --simplified"; fi
printf 'model %s batch %s, 1 thread, %s\n' "$MODEL" "$BATCH" "$(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty') ${BENCH_ARGS:-}"
printf 'load + plan + first run: %14s Ir\n' "$(total "$FIRST")"
printf 'one inference (run 2):   %14s Ir\n' "$(total "$SECOND")"
echo "top functions of run 2 (self Ir):"
self_costs "$SECOND" | head -15 | $DEMANGLE | cut -c1-150
