#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer + AddressSanitizer and runs each for SECONDS (default 600),
# seeded with the committed fixtures. Crashes land in Tests/Fuzz/crash-*; corpora in corpus-* (git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-600}
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=address
BIN=$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=address --show-bin-path)
for t in DICOM PNG JPEG; do
  ext=$(echo $t | tr A-Z a-z); [ $t = DICOM ] && ext=dicom
  mkdir -p corpus-$ext
  cp -n ../Fixtures/$ext/* corpus-$ext/ 2>/dev/null || true
  find corpus-$ext -type d -mindepth 1 -exec rm -rf {} + 2>/dev/null || true
  echo "== Fuzz$t for ${SECONDS_PER_TARGET}s"
  "$BIN/Fuzz$t" corpus-$ext -max_total_time="$SECONDS_PER_TARGET" -max_len=1048576 -rss_limit_mb=4096 \
    -timeout=10 -artifact_prefix=crash-$ext- -print_final_stats=1 2>&1 | tail -15
done
