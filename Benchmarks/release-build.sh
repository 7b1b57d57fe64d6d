#!/usr/bin/env bash
# The release build every benchmark runs first: `swift build -c release "$@"` from the repository root, under
# `flock "$MEDINFER_BUILD_LOCK"` when that is set (one build at a time on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${MEDINFER_BUILD_LOCK:-}" ]; then
  exec flock "$MEDINFER_BUILD_LOCK" swift build -c release "$@"
fi
exec swift build -c release "$@"
