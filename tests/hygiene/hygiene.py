#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks that the library's headers are good guests in a user's translation unit.

Subcommands (each exits non-zero with a readable report on failure):
  headers       every public header first in its own unit, then <immintrin.h> and <random>,
                both used; and all of them in one unit. -Wall -Wextra -Werror, compiled to an
                object at -O0 (a call to an intrinsic that cannot be inlined into its function
                is an error only at code generation, never under -fsyntax-only), --jobs
                compilers at a time
  macros        every macro defined by a file under include/dashi starts with DASHI_ (-E -dD)
  includes      the core headers include no OS or CPU-id header directly (-H include tree)
  odr           two translation units built with different -march flags, linked, agree under
                every DASHI_ISA; portable / AVX2 entry points of the linked program contain no
                wider instructions than their level
  codegen       a unit using every component's dispatched code compiles to an object
  simd-layer    no header outside include/dashi/simd/ declares a vector type or calls a
                compiler builtin of an instruction set (the text of the headers, comments out)
  compile-fail  a source must fail to compile with a given sentence in the diagnostics
  deprecated-headers  each deprecated header path compiles under -Werror, prints a note naming
                its replacement, and prints nothing with DASHI_NO_DEPRECATED_HEADER_MESSAGES
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
#include <immintrin.h>
#include <random>

__attribute__((target("avx2"))) int dashi_hygiene_use_avx2(int x) {
  __m256i v = _mm256_set1_epi32(x);
  v = _mm256_add_epi32(v, v);
  return _mm256_extract_epi32(v, 0);
}

double dashi_hygiene_use_random(unsigned seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  return normal(engine);
}
"""

CORE = ["carrier.hpp", "kernel.hpp", "partition.hpp", "kernels/compose.hpp", "metrics.hpp",
        "execution/cpu_parallel.hpp", "execution/iterate.hpp", "execution/reduce.hpp",
        "execution/thread_pool.hpp"]

# Header paths kept for one release, with the path that replaces each.
DEPRECATED = {"execution/compose.hpp": "kernels/compose.hpp",
              "execution/defect.hpp": "metrics.hpp"}

# The MPI component's headers: they need <mpi.h> and have their own tests.
MPI_HEADERS = ("mpi.hpp", "mpi/", "distributed/")


def public_headers(include_dir):
    root = Path(include_dir) / "dashi"
    headers = []
    for path in sorted(root.rglob("*.hpp")):
        relative = path.relative_to(root).as_posix()
        if "/detail/" in "/" + relative or relative.startswith(MPI_HEADERS):
            continue  # internals, and the MPI component
        headers.append(relative)
    return headers


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def split_flags(text):
    return [flag for flag in (text or "").split() if flag]


def compile_units(args, units):
    """Compiles each (name, source text) of `units` to an object at -O0, discarded: code
    generation is where GCC ("inlining failed in call to 'always_inline' ...: target specific
    option mismatch") and Clang ("always_inline function ... requires target feature ...")
    report an intrinsic that cannot be inlined into its function, and -O0 costs little more
    than -fsyntax-only. Runs --jobs compilers at a time; returns the stderr of each unit
    (None where it compiled), in the order of `units`."""
    with tempfile.TemporaryDirectory() as tmp:
        def one(index):
            name, text = units[index]
            source = Path(tmp) / f"unit{index}.cpp"
            source.write_text(text)
            result = run([args.cxx, f"-std={args.std}", "-Wall", "-Wextra", "-Werror",
                          f"-I{args.include}", *split_flags(args.flags), "-O0", "-c",
                          str(source), "-o", os.devnull])
            return None if result.returncode == 0 else result.stderr

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            return list(pool.map(one, range(len(units))))


def cmd_headers(args):
    headers = public_headers(args.include)
    units = [(f"<dashi/{header}> first", f"#include <dashi/{header}>\n{PROBE}")
             for header in headers]
    units.append(("all public headers, then the probe", all_headers_source(headers) + PROBE))
    errors = compile_units(args, units)
    print(f"{len(headers)} public headers, each first in its own unit, and all in one: "
          f"{args.cxx} -std={args.std} {args.flags or '(plain)'}, code generation at -O0")
    if args.must_fail:
        # Self-test of the check: every unit must fail with the expected diagnostic.
        wrong = [name for (name, _), error in zip(units, errors)
                 if error is None or not re.search(args.must_fail, error)]
        for name in wrong:
            print(f"FAIL {name}: no error matching '{args.must_fail}'")
        if not wrong:
            print(f"every unit fails with an error matching '{args.must_fail}'")
        return 1 if wrong else 0
    failures = [(name, error) for (name, _), error in zip(units, errors) if error is not None]
    for name, error in failures:
        print(f"FAIL {name}:\n{error[:3000]}")
    return 1 if failures else 0


def all_headers_source(headers):
    return "".join(f"#include <dashi/{h}>\n" for h in headers)


LINE_MARKER = re.compile(r'^# \d+ "([^"]+)"')
DEFINE = re.compile(r"^#define ([A-Za-z_][A-Za-z0-9_]*)")


def cmd_macros(args):
    include_root = (Path(args.include) / "dashi").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "all.cpp"
        source.write_text(all_headers_source(public_headers(args.include)))
        result = run([args.cxx, "-std=c++20", "-E", "-dD", f"-I{args.include}",
                      *split_flags(args.flags), str(source)])
    if result.returncode != 0:
        print(result.stderr)
        return 1
    current = ""
    bad = {}
    seen = 0
    for line in result.stdout.splitlines():
        marker = LINE_MARKER.match(line)
        if marker:
            current = marker.group(1)
            continue
        define = DEFINE.match(line)
        if not define:
            continue
        try:
            inside = Path(current).resolve().is_relative_to(include_root)
        except OSError:
            inside = False
        if not inside:
            continue
        seen += 1
        name = define.group(1)
        if not name.startswith("DASHI_"):
            bad.setdefault(name, current)
    print(f"{seen} macro definitions in files under {include_root}")
    for name, where in sorted(bad.items()):
        print(f"FAIL macro {name} (defined in {where}) does not start with DASHI_")
    return 1 if bad else 0


def cmd_includes(args):
    include_root = (Path(args.include) / "dashi").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "core.cpp"
        source.write_text(all_headers_source(CORE))
        result = run([args.cxx, "-std=c++20", "-H", "-fsyntax-only", f"-I{args.include}",
                      *split_flags(args.flags), str(source)])
    if result.returncode != 0:
        print(result.stderr)
        return 1
    stack = []  # (depth, path)
    bad = []
    edges = 0
    for line in result.stderr.splitlines():
        match = re.match(r"^(\.+) (.+)$", line)
        if not match:
            continue
        depth = len(match.group(1))
        path = Path(match.group(2)).resolve()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        stack.append((depth, path))
        if parent is None or not parent.is_relative_to(include_root):
            continue
        edges += 1
        text = path.as_posix()
        allowed = (path.is_relative_to(include_root) or "/c++/" in text) and path.name != "cpuid.h"
        # The compiler's own intrinsics headers (immintrin.h and the headers it includes).
        compiler_dir = "/lib/gcc/" in text or "/lib/llvm" in text or "/clang/" in text
        if compiler_dir and path.name != "cpuid.h":
            allowed = True
        if not allowed:
            bad.append(f"{parent.relative_to(include_root.parent)} includes {text}")
    print(f"{edges} includes made by core dashi headers")
    for entry in bad:
        print("FAIL", entry)
    return 1 if bad else 0


# What only the SIMD layer (include/dashi/simd/) may spell: vector types, x86 builtins and
# intrinsics, the intrinsics header, CPU detection and inline assembly.
SIMD_ONLY = [
    (r"\b__m(64|128|256|512)[di]?\b", "an <immintrin.h> vector type"),
    (r"vector_size", "a vector type (vector_size)"),
    (r"__builtin_ia32_\w+", "an x86 builtin"),
    (r"\b_mm(256|512)?_\w+\s*\(", "an <immintrin.h> intrinsic"),
    (r"(immintrin|x86intrin|cpuid)\.h", "an x86 header"),
    (r"__builtin_(nontemporal_store|shufflevector|convertvector|cpu_supports|cpu_init)\b",
     "a vector or CPU builtin"),
    (r"\b(__asm__|asm)\s*(volatile\s*)?\(", "inline assembly"),
]


def cmd_simd_layer(args):
    root = Path(args.include) / "dashi"
    layer = root / "simd"
    bad = []
    checked = 0
    for path in sorted(root.rglob("*.hpp")):
        if path.is_relative_to(layer):
            continue
        checked += 1
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("//", 1)[0]
            for pattern, what in SIMD_ONLY:
                if re.search(pattern, code):
                    bad.append(f"{path.relative_to(root.parent)}:{number}: {what}: {line.strip()}")
    print(f"{checked} headers outside dashi/simd/ checked")
    for entry in bad:
        print("FAIL", entry)
    return 1 if bad else 0


def functions(disassembly):
    """Yields (name, body lines) of each function in `objdump -d -C` output."""
    name, body = None, []
    for line in disassembly.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            if name is not None:
                yield name, body
            name, body = header.group(1), []
        elif name is not None:
            body.append(line)
    if name is not None:
        yield name, body


def cmd_odr(args):
    here = Path(__file__).resolve().parent
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        common = [args.cxx, "-std=c++20", f"-{args.opt}", "-Wall", "-Wextra", "-Werror",
                  f"-I{args.include}", "-pthread"]
        objects = []
        for name, flags in (("wide", args.wide_flags), ("plain", args.plain_flags)):
            obj = Path(tmp) / f"{name}.o"
            result = run([*common, *split_flags(flags), f"-DDASHI_HYGIENE_TU=work_{name}",
                          "-c", str(here / "odr_tu.cpp"), "-o", str(obj)])
            if result.returncode != 0:
                print(result.stderr)
                return 1
            objects.append(str(obj))
        program = Path(tmp) / "odr"
        # The wide unit first: where both define an inline function, the linker keeps its copy.
        result = run([*common, *split_flags(args.plain_flags), *objects, str(here / "odr_main.cpp"),
                      "-o", str(program)])
        if result.returncode != 0:
            print(result.stderr)
            return 1
        for isa in ("portable", "avx2", "avx512"):
            env = dict(os.environ, DASHI_ISA=isa)
            result = run([str(program)], env=env)
            print(result.stdout.strip())
            if result.returncode != 0:
                failures.append(f"DASHI_ISA={isa}: the two units disagree\n{result.stdout}{result.stderr}")
        disassembly = run(["objdump", "-d", "-C", "--no-show-raw-insn", str(program)])
        if disassembly.returncode != 0:
            print(disassembly.stderr)
            return 1
        checked = 0
        for name, body in functions(disassembly.stdout):
            if "dashi::" not in name:
                continue
            text = "\n".join(body)
            level = None
            if re.search(r"_(portable|generic)\b", name.split("(")[0]):
                level = "portable"
                wide = re.search(r"%[yz]mm|\sv[a-z0-9]+\s[^\n]*%xmm|\s(shlx|shrx|sarx|andn|blsr|blsi|pext|pdep|popcnt)\s", text)
            elif re.search(r"_avx2\b", name.split("(")[0]):
                level = "avx2"
                wide = re.search(r"%zmm|%k[0-7]", text)
            else:
                continue
            checked += 1
            if wide:
                failures.append(f"{level} function {name} contains '{wide.group(0)}'")
        print(f"{checked} portable/AVX2 functions of the linked program checked")
        if checked == 0:
            failures.append("no portable or AVX2 function found in the linked program")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


def cmd_codegen(args):
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        result = run([args.cxx, "-std=c++20", "-O2", "-Wall", "-Wextra", "-Werror",
                      f"-I{args.include}", *split_flags(args.flags), "-c",
                      str(here / "codegen_tu.cpp"), "-o", str(Path(tmp) / "codegen.o")])
    if result.returncode != 0:
        print(f"FAIL codegen_tu.cpp does not compile with {args.cxx} {args.flags}:\n"
              f"{result.stderr[:4000]}")
        return 1
    print(f"codegen_tu.cpp compiles to an object with {args.cxx} {args.flags or '(plain)'}")
    return 0


def cmd_compile_fail(args):
    result = run([args.cxx, "-std=c++20", "-fsyntax-only", f"-I{args.include}",
                  *split_flags(args.flags), args.source])
    if result.returncode == 0:
        print(f"FAIL {args.source} compiled, but must not")
        return 1
    if args.expect not in result.stderr:
        print(f"FAIL the diagnostics of {args.source} do not contain the sentence\n  {args.expect}\n"
              f"--- diagnostics ---\n{result.stderr[:4000]}")
        return 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    print(f"{args.source}: fails as expected with {len(errors)} error line(s), first:\n  "
          + (errors[0] if errors else ""))
    return 0


def cmd_deprecated_headers(args):
    """One unit including every deprecated path, compiled twice (two compiles in all: the
    headers under them are the executor's, slow to parse)."""
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "unit.cpp"
        source.write_text("".join(f"#include <dashi/{old}>\n" for old in DEPRECATED))
        for silenced in (False, True):
            define = ["-DDASHI_NO_DEPRECATED_HEADER_MESSAGES"] if silenced else []
            result = run([args.cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror",
                          f"-I{args.include}", *define, *split_flags(args.flags),
                          "-fsyntax-only", str(source)])
            how = "silenced" if silenced else "with their notes"
            if result.returncode != 0:
                failures.append(f"the deprecated paths {how} do not compile under -Werror:\n"
                                f"{result.stderr[:3000]}")
            elif silenced and result.stderr:
                failures.append(f"the deprecated paths {how} printed:\n{result.stderr[:3000]}")
            elif not silenced:
                for old, new in DEPRECATED.items():
                    note = (f"<dashi/{old}> is deprecated and will be removed; "
                            f"include <dashi/{new}> instead")
                    if note not in result.stderr:
                        failures.append(f"<dashi/{old}> printed no note naming <dashi/{new}>:\n"
                                        f"{result.stderr[:3000]}")
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print(f"{len(DEPRECATED)} deprecated header paths: they compile under -Werror with "
              f"{args.cxx}, each names its replacement, and they are silent when silenced")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("headers", "macros", "includes", "odr", "codegen", "compile-fail", "simd-layer",
                 "deprecated-headers"):
        p = sub.add_parser(name)
        p.add_argument("--cxx", required=True)
        p.add_argument("--include", required=True)
        p.add_argument("--flags", default="")
        if name == "headers":
            p.add_argument("--std", required=True)
            p.add_argument("--jobs", type=int, default=1, help="compilers run at a time")
            p.add_argument("--must-fail", metavar="REGEX",
                           help="self-test: pass only when every unit fails with an error "
                                "matching REGEX (a header built to break)")
        if name == "odr":
            p.add_argument("--opt", required=True, choices=["O0", "O1", "O2", "O3"])
            p.add_argument("--wide-flags", default="-march=native")
            p.add_argument("--plain-flags", default="")
        if name == "compile-fail":
            p.add_argument("--source", required=True)
            p.add_argument("--expect", required=True)
    args = parser.parse_args()
    handler = {"headers": cmd_headers, "macros": cmd_macros, "includes": cmd_includes,
               "odr": cmd_odr, "codegen": cmd_codegen, "compile-fail": cmd_compile_fail,
               "simd-layer": cmd_simd_layer,
               "deprecated-headers": cmd_deprecated_headers}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
