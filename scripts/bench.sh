#!/usr/bin/env bash
# The main job, from a fresh machine or a warm tree: set-up, configure, build the bench, run its
# default run (about three minutes: dense vs PQ, one thread vs many, the verdict), then the report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/configure.sh
cmake --build --preset release -j"$(nproc)" --target dashicore_bench
out=build/release/bench/results
mkdir -p "$out"
build/release/bench/dashicore_bench --jsonl "$out/results.jsonl" "$@"
/usr/bin/python3 bench/report/report.py "$out/results.jsonl" --img-dir "$out/img" --markdown "$out/report.md"
printf '\nresults: %s\nreport:  %s (plots in %s)\n' "$out/results.jsonl" "$out/report.md" "$out/img"
