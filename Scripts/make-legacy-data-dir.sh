#!/bin/sh
# Makes Tests/Fixtures/legacy-data-<commit>/: a data directory written by an earlier release of MedInfer
# (its own `medinfer` binary, built from that commit), for the test that opens it with today's code
# (Tests/ServerTests/LegacyDataDirectoryTests.swift): named migrations must bring it forward in place.
#
#   Scripts/make-legacy-data-dir.sh ed350ae /path/to/that/commit's/medinfer
#
# What it holds: an API key (its secret in key.txt; a test fixture, never a real key), a job of two sample
# images run to success by that release's worker, a review of it, and a second job left queued.
set -eu
commit=$1
medinfer=$2
cd "$(dirname "$0")/.."
out="Tests/Fixtures/legacy-data-$commit"
rm -rf "$out"
mkdir -p "$out"
data="$out/data"
"$medinfer" keys create --data-dir "$data" --role submitter --name legacy-router > "$out/key.txt"
done_job=$("$medinfer" jobs submit --data-dir "$data" --models-dir Models --model brain-mri-tumor \
    SampleImages/BrainT1Slice.png SampleImages/MR_small.dcm --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$medinfer" worker --data-dir "$data" --models-dir Models --once
"$medinfer" review decide "$done_job" --agree --comment "legacy review" --reviewer dr-legacy --data-dir "$data"
queued_job=$("$medinfer" jobs submit --data-dir "$data" --models-dir Models --model brain-mri-tumor \
    SampleImages/BrainProtonDensitySlice.png --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf '{"commit": "%s", "succeeded": "%s", "queued": "%s"}\n' "$commit" "$done_job" "$queued_job" > "$out/jobs.json"
# Every process has closed the database: SQLite has folded its write-ahead log into the file.
ls -R "$out"
