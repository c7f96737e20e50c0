#!/usr/bin/env bash
# One idempotent set-up step for both README commands (and CI): installs the Debian packages
# listed in scripts/debian-packages.txt that are missing, then checks the tools the build needs.
# Exits non-zero with one sentence saying what is missing and how to fix it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() {
  printf 'set-up: %s\n' "$*" >&2
  exit 1
}

mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/debian-packages.txt" | awk '{print $1}')

command -v dpkg-query >/dev/null 2>&1 ||
  fail "this is not a Debian-based system (no dpkg-query); install the equivalents of: ${packages[*]}"

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      fail "missing packages; run this, then the command again: sudo apt-get install -y ${missing[*]}"
    fi
    fail "missing packages and not root (no sudo either): ask an administrator to run: apt-get install -y ${missing[*]}"
  fi
  log="$(mktemp -t dashicore-setup.XXXXXX.log)"
  printf 'set-up: installing %s\n' "${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
    grep -qE '^(Err|W: Failed to fetch)' "$log"; then
    fail "cannot reach the Debian package registry (apt-get update failed, see $log); check the network or proxy, then run the command again"
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$log" 2>&1; then
    fail "apt-get install failed (last lines below, full log in $log)"$'\n'"$(tail -n 5 "$log")"
  fi
  rm -f "$log"
fi

cmake_version="$(cmake --version 2>/dev/null | awk 'NR == 1 {print $3}')"
[[ -n "$cmake_version" ]] || fail "cmake is not on PATH; install it (apt-get install cmake)"
if [[ "$(printf '%s\n' 3.25 "$cmake_version" | sort -V | head -n 1)" != 3.25 ]]; then
  fail "CMake $cmake_version is too old (3.25 or newer is needed: Debian 12's package, or the cmake release from cmake.org)"
fi
[[ -x /usr/bin/python3 ]] || fail "/usr/bin/python3 is missing; install Debian's python3 (apt-get install python3)"
/usr/bin/python3 -c 'import numpy, pytest' 2>/dev/null ||
  fail "/usr/bin/python3 cannot import numpy and pytest; install python3-numpy python3-pytest"
printf 'set-up: %d packages present, CMake %s\n' "${#packages[@]}" "$cmake_version"
