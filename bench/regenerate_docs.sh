#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/benchmarks.md, its plots and docs/results/reference_machine.jsonl.gz from
# one full run (--full --large) of dashicore_bench. Run it on a quiet machine: rows measured
# while other processes use the CPUs are marked noisy and decide nothing.
#
#   bench/regenerate_docs.sh [build-dir]      (default build/bench; configured if missing)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDASHICORE_WERROR=ON -DDASHICORE_BUILD_TESTS=OFF
fi
cmake --build "$build" --target dashicore_bench -j2
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
commit=$(git rev-parse --short HEAD)
"$build/bench/dashicore_bench" --full --large --jsonl "$results/reference_machine.jsonl"
mkdir -p docs/results
gzip -9 -c "$results/reference_machine.jsonl" > docs/results/reference_machine.jsonl.gz
/usr/bin/python3 bench/report/report.py docs/results/reference_machine.jsonl.gz \
  --img-dir docs/img --markdown docs/benchmarks.md --commit "$commit" \
  --command "bench/regenerate_docs.sh   # at $commit: dashicore_bench --full --large, then report.py"
echo "regenerate_docs.sh: docs/benchmarks.md, docs/img/*.png and docs/results/reference_machine.jsonl.gz updated"
