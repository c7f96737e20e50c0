#!/usr/bin/env bash
# clang-tidy over the library headers, warnings as errors: one translation unit per public header
# (each includes only that header), checked with the repository's .clang-tidy in parallel.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/build/tidy}"
mkdir -p "$work"
rm -f "$work"/*.cpp "$work"/*.log "$work"/*.failed
mpi_flags=()
if command -v mpicxx >/dev/null 2>&1; then
  read -r -a mpi_flags <<<"$(mpicxx --showme:compile)"
fi
cd "$root/include"
find dashi -name '*.hpp' -not -path '*/detail/*' | sort | while read -r header; do
  printf '#include <%s>\n' "$header" >"$work/$(echo "$header" | tr '/.' '__').cpp"
done
cd "$work"
count=$(ls ./*.cpp | wc -l)
printf 'clang-tidy: %d public headers\n' "$count"
ls ./*.cpp | xargs -P "$(nproc)" -I{} sh -c \
  'clang-tidy --quiet --config-file="$0/.clang-tidy" --header-filter="$0/include/dashi/.*" \
     --warnings-as-errors="*" "$1" -- -std=c++20 -I"$0/include" '"${mpi_flags[*]}"' \
     >"$1.log" 2>&1 || touch "$1.failed"' "$root" {}
if ls ./*.failed >/dev/null 2>&1; then
  for failed in ./*.failed; do cat "${failed%.failed}.log"; done | grep -E 'error:' | sort -u
  printf 'clang-tidy: warnings in the headers above (from %d translation units)\n' "$(ls ./*.failed | wc -l)"
  exit 1
fi
printf 'clang-tidy: no warnings in %d headers\n' "$count"
