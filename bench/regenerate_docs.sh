#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/benchmarks.md, its plots and docs/results/*.json.gz from one full run
# (--full --large) of dashicore_bench, plus the OpenMP rows again under
# OMP_WAIT_POLICY=passive. Run it on a quiet machine: rows measured while other processes use
# the CPUs are marked noisy and decide nothing.
#
#   bench/regenerate_docs.sh [build-dir [tier flags...]]
#     build-dir: default build/bench (configured if missing); tier flags: default --full --large
#     (the main job with --large takes minutes instead of the full sweep's half hour)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
[ "$#" -gt 0 ] && shift
tier=${*:---full --large}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDASHICORE_WERROR=ON -DDASHICORE_BUILD_TESTS=OFF
fi
cmake --build "$build" --target dashicore_bench -j2
commit=$(git rev-parse --short HEAD)
mkdir -p docs/results
run() {  # run NAME [flags...]: one run into docs/results/NAME.json.gz
  name=$1
  shift
  "$build/bench/dashicore_bench" "$@" --benchmark_out="docs/results/$name.json" --benchmark_out_format=json
  gzip -9 -f "docs/results/$name.json"
}
# shellcheck disable=SC2086
run reference_machine $tier
# OpenMP with its threads sleeping at once: its best case where other work holds the cores.
OMP_WAIT_POLICY=passive run reference_machine_omp_passive --large --benchmark_filter='^peer_omp'
rm -f docs/results/reference_machine.jsonl.gz docs/results/reference_machine_omp_passive.jsonl.gz
/usr/bin/python3 bench/report/report.py docs/results/reference_machine.json.gz \
  docs/results/reference_machine_omp_passive.json.gz \
  --img-dir docs/img --markdown docs/benchmarks.md --commit "$commit" \
  --command "bench/regenerate_docs.sh $build $tier   # at $commit: dashicore_bench $tier, the OpenMP rows again under OMP_WAIT_POLICY=passive, then report.py"
echo "regenerate_docs.sh: docs/benchmarks.md, docs/img/*.png and docs/results/*.json.gz updated"
