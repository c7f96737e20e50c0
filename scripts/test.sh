#!/usr/bin/env bash
# Every test, from a fresh machine or a warm tree: set-up, configure, build, then ctest over the
# C++ (GCC) suite, the Python module's pytest suite and the MPI tests. Ends with ctest's summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/configure.sh
cmake --build --preset release -j"$(nproc)"
ctest --preset release -j"$(nproc)"
