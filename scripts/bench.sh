#!/usr/bin/env bash
# The main job, from a fresh machine or a warm tree: set-up, configure, build the bench, run it
# (about two minutes on 2 cores: dense vs PQ, one thread vs many, the peers), then the report,
# which prints the verdict. Flags go to dashicore_bench: --quick, --full, --large, or any
# Google Benchmark flag (--benchmark_filter=REGEX, --benchmark_repetitions=N, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/configure.sh
cmake --build --preset release -j"$(nproc)" --target dashicore_bench
out=build/release/bench/results
mkdir -p "$out"
build/release/bench/dashicore_bench --benchmark_out="$out/results.json" --benchmark_out_format=json "$@"
/usr/bin/python3 bench/report/report.py "$out/results.json" --img-dir "$out/img" --markdown "$out/report.md"
printf '\nresults: %s\nreport:  %s (plots in %s)\n' "$out/results.json" "$out/report.md" "$out/img"
