#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks that the instruction-set clones of the byte maps, trit scans, stencils, rule kernels, PQ
codec and bit planes are exact.

Compiles exact_codegen_tu.cpp to an object with the given flags (e.g. -march=native or
-march=sapphirerapids, wider than any clone's level), disassembles it and checks every clone
against the instructions of its level:
  portable     no VEX / EVEX instruction, no ymm, zmm or k register, nothing past SSE2
  avx2         no EVEX instruction, no zmm or k register, no GFNI, VAES, AVX-VNNI, ...
  avx512       AVX-512 F/BW/VL/DQ/CD only: no VBMI, VBMI2, VPOPCNTDQ, BITALG, IFMA, VNNI,
               BF16, FP16, GFNI, VAES, ...
  avx512-vbmi  the avx512 level plus VBMI, VBMI2, VPOPCNTDQ and BITALG
An AVX2 or AVX-512 clone may call only other clones and memcpy / memset / memmove: any other
function (a standard-library helper that was not inlined) is compiled with the unit's flags.
Every expected clone must be present, so inlining cannot hide one. Prints one line per
clone with the instructions that show its path; exits non-zero on any failure.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# (qualified name without template arguments, level); the first full match wins.
BYTE_ROUTINES = (r"(map_bytes|map_bytes_streaming|map_bytes_checked|map_bytes_checked_streaming|"
                 r"contract_violated|l1_distance|first_non_trit|count_nonzero|left_neighbor|"
                 r"left_neighbor_streaming|majority3x3)")
LEVELS = [
    (r"dashi::detail::" + BYTE_ROUTINES + "_avx2", "avx2"),
    (r"dashi::detail::" + BYTE_ROUTINES + "_avx512", "avx512"),
    (r"dashi::detail::" + BYTE_ROUTINES + "_portable", "portable"),
    (r"dashi::detail::(rule1d_segment|totalistic_row|totalistic_columns)_avx2", "avx2"),
    (r"dashi::detail::(rule1d_segment|totalistic_row)_avx512", "avx512-vbmi"),
    (r"dashi::detail::(rule1d_apply|rule1d_segment|rule1d_segment_portable|totalistic_apply|"
     r"totalistic_row_portable|"
     r"totalistic_row|totalistic_columns_portable)", "portable"),
    (r"dashi::pq::detail::(encode_avx2|encode_avx2_impl|decode_avx2|count_words_avx2|"
     r"crc32c_raw_sse42|popcount_words_popcnt)", "avx2"),
    (r"dashi::pq::detail::(encode_avx512|encode_avx512_impl|decode_avx512|count_words_avx512)",
     "avx512"),
    (r"dashi::pq::detail::(crc32c|crc32c_raw_portable|popcount_words|popcount_words_portable|"
     r"count_words|count_words_portable)", "portable"),
    (r"dashi::bits::detail::(run_avx2|pack_run_avx2|unpack_run_avx2|pq_read_bmi2|pq_write_bmi2)",
     "avx2"),
    (r"dashi::bits::detail::(run_avx512|pack_run_avx512|unpack_run_avx512)", "avx512"),
    (r"dashi::bits::detail::(run_portable|pack_run_portable|unpack_run_portable|pq_read_portable|"
     r"pq_write_portable|copy_row_words|store_row_words)", "portable"),
]

# Clones that must be emitted out of line (their dispatch calls them; they are never inlined).
REQUIRED = [
    "dashi::detail::rule1d_segment_avx2<1ul>", "dashi::detail::rule1d_segment_avx2<2ul>",
    "dashi::detail::rule1d_segment_avx512<1ul>", "dashi::detail::rule1d_segment_avx512<2ul>",
    "dashi::detail::totalistic_row_avx2<true, true>",
    "dashi::detail::totalistic_row_avx512<true, true>",
    "dashi::pq::detail::encode_avx2", "dashi::pq::detail::decode_avx2<false>",
    "dashi::pq::detail::decode_avx2<true>", "dashi::pq::detail::encode_avx512",
    "dashi::pq::detail::decode_avx512<false>", "dashi::pq::detail::decode_avx512<true>",
    "dashi::pq::detail::count_words_avx2", "dashi::pq::detail::count_words_avx512",
    "dashi::pq::detail::crc32c_raw_sse42", "dashi::pq::detail::popcount_words_popcnt",
    "dashi::detail::contract_violated_avx2", "dashi::detail::contract_violated_avx512",
    "dashi::detail::l1_distance_avx2", "dashi::detail::l1_distance_avx512",
    "dashi::detail::first_non_trit_avx2", "dashi::detail::first_non_trit_avx512",
    "dashi::detail::count_nonzero_avx2", "dashi::detail::count_nonzero_avx512",
    "dashi::detail::majority3x3_avx2", "dashi::detail::majority3x3_avx512",
    "dashi::detail::left_neighbor_avx2", "dashi::detail::left_neighbor_avx512",
    "dashi::detail::left_neighbor_streaming_avx2", "dashi::detail::left_neighbor_streaming_avx512",
    "dashi::bits::detail::pack_run_avx2", "dashi::bits::detail::pack_run_avx512",
    "dashi::bits::detail::unpack_run_avx2", "dashi::bits::detail::unpack_run_avx512",
    "dashi::bits::detail::pq_read_bmi2", "dashi::bits::detail::pq_write_bmi2",
]

# Template clones that must be emitted out of line, by the start of their name with template
# arguments: the bit-sliced kernels' entry points of each level, one per loop body.
BIT_BODIES = ["LeftNeighborRun", "LeftNeighborSlices", "MajorityRows", "Rule1Run", "Rule1Slices",
              "TotalisticRows", "MapWords<dashi::bits::detail::NegateWords>",
              "MapWords<dashi::bits::detail::CopyWords>",
              "MapWords<dashi::bits::detail::NonnegativeWords>"]
REQUIRED_TEMPLATES = [f"dashi::bits::detail::run_{level}<dashi::bits::detail::{body}"
                      for level in ("avx2", "avx512") for body in BIT_BODIES]

# Beyond every level here: AES, PCLMUL, SHA, GFNI, VAES, VPCLMULQDQ, ADX, AVX-VNNI (printed
# with a {vex} prefix), AMX, VP2INTERSECT.
BEYOND_ALL = (r"^(v?aes\w*|v?pclmul\w*|sha1\w*|sha256\w*|v?gf2p8\w*|adcx|adox|\{vex\}.*|tile\w*|"
              r"ldtilecfg|sttilecfg|vp2intersect\w*)$")
# AVX-512 VBMI, VBMI2, VPOPCNTDQ, BITALG.
VBMI_GROUP = (r"^(vpermb|vpermi2b|vpermt2b|vpmultishiftqb|vpcompress[bw]|vpexpand[bw]|vpshld\w*|"
              r"vpshrd\w*|vpopcnt[bwdq]|vpshufbitqmb)$")
# AVX-512 IFMA, VNNI, BF16, ER, PF, 4FMAPS, 4VNNIW.
LATER_512 = (r"^(vpmadd52\w*|vpdpbusds?|vpdpwssds?|\w*bf16\w*|vexp2p[sd]|vrcp28\w*|vrsqrt28\w*|"
             r"vgatherpf\w*|vscatterpf\w*|v4fn?madd\w*|vp4dpwssds?)$")
# AVX512-FP16 (F16C's vcvtph2ps and vcvtps2ph are allowed).
FP16 = r"^(v\w*(ph|sh)[xyz]?|vcvt\w*ph2\w+|vcvt\w*2ph[xyz]?|vmovw)$"
F16C = {"vcvtph2ps", "vcvtps2ph"}
# Past SSE2 without VEX: SSE3, SSSE3, SSE4, POPCNT, LZCNT, BMI, MOVBE, CRC32.
PAST_SSE2 = (r"^(pshufb|palignr|pabs[bwd]|phadd\w*|phsub\w*|pmaddubsw|pmulhrsw|psign[bwd]|ptest|"
             r"pblend\w*|blendv?p[sd]|pmin(sb|uw|sd|ud)|pmax(sb|uw|sd|ud)|pmov[sz]x\w*|pcmpeqq|pcmpgtq|"
             r"packusdw|pextr[bdq]|pinsr[bdq]|pmulld|pmuldq|round[ps][sd]|dpp[sd]|insertps|"
             r"extractps|movntdqa|mpsadbw|phminposuw|pcmp[ei]str[im]|crc32\w*|lddqu|movddup|"
             r"movs[hl]dup|addsubp[sd]|haddp[sd]|hsubp[sd]|popcnt|lzcnt|tzcnt|andn|bextr|blsi|"
             r"blsmsk|blsr|bzhi|pdep|pext|rorx|sarx|shlx|shrx|mulx|movbe)$")

# Instructions worth naming in the evidence line of each clone.
EVIDENCE = ["vpshufb", "vpermb", "vpermi2b", "vpermt2b", "vpblendmb", "vpmovb2m", "vptestmb",
            "vpmovmskb", "pext", "pdep", "popcnt", "bzhi", "crc32", "kmovq", "vmovdqu8",
            "vmovntdq", "prefetcht0", "vbroadcasti128", "vpternlogq", "vpternlogd"]

PREFIXES = {"26", "2e", "36", "3e", "64", "65", "67"}


def run(command):
    return subprocess.run(command, capture_output=True, text=True)


def split_flags(text):
    return [flag for flag in (text or "").split() if flag]


def qualified_name(symbol):
    """`dashi::a::b` of a demangled symbol, template arguments and parameters dropped."""
    match = re.search(r"(dashi::[A-Za-z0-9_:]+)", symbol)
    return match.group(1) if match else None


def name_with_arguments(symbol):
    """`dashi::a::b<...>` of a demangled symbol (its template arguments kept)."""
    match = re.search(r"(dashi::[A-Za-z0-9_:]+(<[^()]*>)?)\(", symbol)
    return match.group(1) if match else None


def level_of(symbol):
    name = qualified_name(symbol)
    if name is None:
        return None
    for pattern, level in LEVELS:
        if re.fullmatch(pattern, name):
            return level
    return None


def functions(disassembly):
    """Yields (symbol, [(bytes, mnemonic, operands)], [call targets]) of each function."""
    symbol, body, calls = None, [], []
    for line in disassembly.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            if symbol is not None:
                yield symbol, body, calls
            symbol, body, calls = header.group(1), [], []
            continue
        if symbol is None:
            continue
        reloc = re.match(r"^\s+[0-9a-f]+: R_X86_64_PLT32\s+(.+?)(-0x[0-9a-f]+)?$", line)
        if reloc:
            calls.append(reloc.group(1))
            continue
        parts = line.split("\t")
        if len(parts) < 3 or not re.match(r"^\s*[0-9a-f]+:$", parts[0]):
            continue
        raw = parts[1].split()
        text = parts[2].strip()
        if text.startswith("{vex}") or text.startswith("{evex}"):
            prefix, _, rest = text.partition(" ")
            mnemonic, _, operands = rest.strip().partition(" ")
            mnemonic = prefix + " " + mnemonic
        else:
            mnemonic, _, operands = text.partition(" ")
        body.append((raw, mnemonic, operands.strip()))
    if symbol is not None:
        yield symbol, body, calls


def is_evex(raw):
    for byte in raw:
        if byte in PREFIXES:
            continue
        return byte == "62"
    return False


def violations(level, body):
    found = []
    for raw, mnemonic, operands in body:
        bad = None
        base = mnemonic.split()[-1] if mnemonic else ""
        if re.match(BEYOND_ALL, mnemonic) or re.match(BEYOND_ALL, base):
            bad = "beyond every level"
        elif level == "portable":
            if base.startswith("v") or re.search(r"%[yz]mm|%k[0-7]", operands):
                bad = "AVX"
            elif re.match(PAST_SSE2, base):
                bad = "past SSE2"
        elif level == "avx2":
            if is_evex(raw):
                bad = "EVEX"
            elif re.search(r"%zmm|%k[0-7]", operands):
                bad = "zmm / k register"
        else:
            if re.match(LATER_512, base) or (re.match(FP16, base) and base not in F16C):
                bad = "later AVX-512 extension"
            elif level == "avx512" and re.match(VBMI_GROUP, base):
                bad = "VBMI / VBMI2 / VPOPCNTDQ / BITALG"
        if bad:
            found.append(f"{bad}: {mnemonic} {operands}".rstrip())
    return found


def allowed_call(target):
    if re.fullmatch(r"(memcpy|memset|memmove)(@\S+)?", target):
        return True
    return level_of(target) is not None  # another clone: exact too


def evidence(body):
    counts = {}
    for _, mnemonic, operands in body:
        base = mnemonic.split()[-1]
        key = "crc32" if base.startswith("crc32") else base
        if base.startswith("vmovdqu8") and "{%k" in operands:
            key = "vmovdqu8{k}"
        if key in EVIDENCE or key == "vmovdqu8{k}":
            counts[key] = counts.get(key, 0) + 1
    zmm = any("%zmm" in operands for _, _, operands in body)
    kreg = any(re.search(r"%k[0-7]", operands) for _, _, operands in body)
    evex = sum(1 for raw, _, _ in body if is_evex(raw))
    parts = [f"{k}x{v}" for k, v in sorted(counts.items())]
    parts.append(f"zmm={'yes' if zmm else 'no'} k={'yes' if kreg else 'no'} evex={evex}")
    return " ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--include", required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--opt", default="O2", choices=["O1", "O2", "O3"])
    parser.add_argument("--quiet", action="store_true", help="no evidence lines")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        obj = Path(tmp) / "exact.o"
        result = run([args.cxx, "-std=c++20", f"-{args.opt}", "-Wall", "-Wextra", "-Werror",
                      f"-I{args.include}", *split_flags(args.flags), "-c",
                      str(here / "exact_codegen_tu.cpp"), "-o", str(obj)])
        if result.returncode != 0:
            print(f"FAIL exact_codegen_tu.cpp does not compile with {args.cxx} {args.flags}:\n"
                  f"{result.stderr[:4000]}")
            return 1
        disassembly = run(["objdump", "-d", "-r", "-C", "--insn-width=15", str(obj)])
    if disassembly.returncode != 0:
        print(disassembly.stderr)
        return 1
    failures = []
    seen = set()
    symbols = []
    checked = 0
    print(f"{args.cxx} -{args.opt} {args.flags or '(plain)'}")
    for symbol, body, calls in functions(disassembly.stdout):
        level = level_of(symbol)
        if level is None:
            continue
        checked += 1
        name = name_with_arguments(symbol) or symbol
        seen.add(name)
        symbols.append(symbol)
        for problem in violations(level, body):
            failures.append(f"{level} clone {symbol}: {problem}")
        if level != "portable":
            for target in calls:
                if not allowed_call(target):
                    failures.append(f"{level} clone {symbol} calls {target}, which is compiled "
                                    "with the unit's flags")
        if not args.quiet:
            print(f"  {level:<11} {name}: {len(body)} instructions; {evidence(body)}")
    for name in REQUIRED:
        if name not in seen:
            failures.append(f"clone {name} not found out of line in the object")
    for start in REQUIRED_TEMPLATES:
        if not any(start in symbol for symbol in symbols):
            failures.append(f"clone {start}...> not found out of line in the object")
    print(f"{checked} clones checked")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
