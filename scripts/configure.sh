#!/usr/bin/env bash
# Shared by test.sh and bench.sh: the set-up step, then the release build tree configured once
# (a warm tree is reused as it is: the build re-runs CMake itself when a CMake file changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
if [[ ! -f build/release/CMakeCache.txt ]]; then
  mkdir -p build
  cmake --preset release >build/configure.log 2>&1 || {
    tail -n 30 build/configure.log >&2
    printf 'configure: CMake failed (full log in build/configure.log)\n' >&2
    exit 1
  }
fi
