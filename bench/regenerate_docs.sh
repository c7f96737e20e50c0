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
# OpenMP again with its threads sleeping at once (OMP_WAIT_POLICY=passive), beside dense-mt:
# its best case on a machine where other work holds the cores (report.py: peer_omp_passive).
OMP_WAIT_POLICY=passive "$build/bench/dashicore_bench" --large --mode dense-mt \
  --benchmark_filter='^(dense_mt|peer_omp|peer_omp_plain)/|empty' \
  --jsonl "$results/reference_machine_omp_passive.jsonl"
mkdir -p docs/results
for f in reference_machine reference_machine_omp_passive; do
  gzip -9 -c "$results/$f.jsonl" > "docs/results/$f.jsonl.gz"
done
/usr/bin/python3 bench/report/report.py docs/results/reference_machine.jsonl.gz \
  docs/results/reference_machine_omp_passive.jsonl.gz \
  --img-dir docs/img --markdown docs/benchmarks.md --commit "$commit" \
  --command "bench/regenerate_docs.sh   # at $commit: dashicore_bench --full --large, the OpenMP rows again under OMP_WAIT_POLICY=passive, then report.py"
echo "regenerate_docs.sh: docs/benchmarks.md, docs/img/*.png and docs/results/*.jsonl.gz updated"
