#!/bin/sh
# Rewrites Tests/ONNXTests/node-tests.txt from a run of every copied ONNX backend node test
# (Scripts/NodeTestList). Release build: the full set runs in seconds instead of minutes.
set -eu
cd "$(dirname "$0")/.."
swift run -c release NodeTestList "$PWD/Tests/ONNXTests/node-tests.txt"
git --no-pager diff --stat -- Tests/ONNXTests/node-tests.txt || true
