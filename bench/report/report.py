#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The analysis of dashicore_bench, in one place: noisy rows, the verdict, the hypotheses and
the plots, from Google Benchmark JSON (`--benchmark_out=FILE --benchmark_out_format=json`).

    /usr/bin/python3 bench/report/report.py results.json [more.json ...] \
        --img-dir docs/img --markdown docs/benchmarks.md

Prints the verdict; writes the markdown page and the plots. Files may be gzip-compressed
(.gz). Rows of the same name in several files pool their repetitions; the OpenMP rows of a
file run under OMP_WAIT_POLICY=passive are a peer of their own (`peer_omp passive`).

Noise: a row's spread is the robust coefficient of variation of its repetitions,
1.4826 * MAD / median (MAD: the median absolute deviation from the median; for normal noise
it estimates standard deviation / mean, and one or two outlying repetitions of five barely
move it). A row is noisy when its spread is above --noisy-spread (0.10: on a run with every
other process stopped, 95% of 3,340 rows stayed at or below 0.095, median 0.016), when other
processes used more than --noisy-load of the CPUs during it, or when a one-thread row got
less than 85% of a core. The median of n repetitions is uncertain by about
1.2533 * spread / sqrt(n); a figure whose distance to its target is within twice the
combined uncertainty of its rows says so.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import math
import os
import platform
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plots  # noqa: E402

# The modes of the question, one entry each: (column, family, decides "fastest"). A new mode
# is one line here (and its family in bench/modes/).
MODES = [("dense-1t", "dense_1t", True), ("dense-mt", "dense_mt", True),
         ("pq-1t", "pq_1t_packed", True), ("pq-mt", "pq_mt_packed", True),
         ("bits-1t", "bits_1t", True), ("bits-mt", "bits_mt", True),
         ("pq-1t rt", "pq_1t_roundtrip", False), ("pq-mt rt", "pq_mt_roundtrip", False)]
PEERS = ["peer_serial", "peer_omp", "peer_omp_passive", "peer_tbb", "peer_tbb_static", "peer_std_par",
         "peer_plain", "peer_omp_plain"]
SERIES = [(f, label) for label, f, _ in MODES] + [(f, f.replace("_passive", " passive")) for f in PEERS]
REF = ("sign_flip", "random_sparse", 0.5)  # the reference case of the verdict and the plots
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
COUNTERS = ("Gsites/s", "bytes_per_second", "t_encode_ms", "t_decode_ms", "t_kernel_ms",
            "bits_per_site", "entropy_bits_per_site", "overhead_bits_per_site", "others_cpu")
MAD_TO_SIGMA, MEDIAN_SE = 1.4826, 1.2533  # normal noise: sigma = 1.4826 MAD; SE(median) = 1.2533 sigma/sqrt(n)


# ---- loading -------------------------------------------------------------------------------

def parse_name(name: str) -> dict:
    """`family/kernel/workload/N:…/threads:…/…/real_time` -> fields (sparsity in [0, 1])."""
    parts = [p for p in name.split("/") if p != "real_time" and not p.startswith("repeats:")]
    row = {"family": parts[0], "kernel": None, "workload": None, "threads": 1, "block": 0,
           "pq_block": 4096, "sparsity": 50, "steps": 1, "steps_per_sync": 1, "ms": None, "noisy": False}
    if parts[0] in ("codec", "codec_reference"):
        row["family"], parts = f"{parts[0]}/{parts[1]}", parts[1:]
    for part in parts[1:]:
        if ":" in part:
            key, value = part.split(":", 1)
            row["size" if key == "N" else key] = int(value)
        else:
            row["workload" if row["kernel"] else "kernel"] = part
    row["sparsity"] /= 100
    return row


def robust_spread(ms):
    """1.4826 * MAD / median of the repetitions' times (0 for fewer than two)."""
    m = statistics.median(ms)
    return MAD_TO_SIGMA * statistics.median(abs(x - m) for x in ms) / m if len(ms) > 1 and m else 0.0


def load(paths, noisy_spread, noisy_load):
    """Rows (repetitions pooled by name) and the contexts of the files."""
    runs, contexts = defaultdict(list), []
    for path in paths:
        try:
            with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            sys.exit(f"report.py: {path}: not a Google Benchmark JSON file written by dashicore_bench "
                     f"--benchmark_out={path} --benchmark_out_format=json ({error})")
        context = dict(data.get("context", {}), source=os.path.basename(path))
        contexts.append(context)
        passive = context.get("OMP_WAIT_POLICY", "default").lower() == "passive"
        for b in data.get("benchmarks", []):
            if b.get("run_type") != "aggregate":
                family, rest = b["run_name"].split("/", 1)
                passive_omp = passive and family.startswith("peer_omp")  # a peer of its own
                runs[f"{family}_passive/{rest}" if passive_omp else b["run_name"]].append(b)
    rows = []
    for name, reps in runs.items():
        row = parse_name(name)
        row["name"] = name.removesuffix("/real_time")
        errors = [r.get("error_message", "") for r in reps if r.get("error_occurred")]
        good = [r for r in reps if not r.get("error_occurred")]
        row["error"] = errors[0] if errors else None
        row["mismatch"] = any("differ" in e for e in errors)
        rows.append(row)
        if not good:
            continue
        ms = sorted(r["real_time"] * UNIT_MS[r.get("time_unit", "ns")] for r in good)
        row.update(ms=statistics.median(ms), runs=ms, spread=robust_spread(ms))
        for key in COUNTERS:
            values = [r[key] for r in good if key in r]
            row[key] = statistics.median(values) if values else None
        row["cpu_share"] = statistics.median(r["cpu_time"] / r["real_time"] for r in good)
        reasons = [f"spread {row['spread']:.0%}"] if row["spread"] > noisy_spread else []
        if (row["others_cpu"] or 0) > noisy_load:
            reasons.append(f"others used {row['others_cpu']:.0%} of the CPUs")
        if row["threads"] == 1 and row.get("size") and row["cpu_share"] < 0.85:
            reasons.append(f"got {row['cpu_share']:.0%} of a core")
        row["noisy"], row["noisy_reason"] = bool(reasons), "; ".join(reasons)
    return rows, contexts


# ---- selection -------------------------------------------------------------------------------

def ok(r):
    return r.get("ms") is not None and not r.get("error")


def select(rows, **want):
    return [r for r in rows if ok(r) and all(r.get(k) == v for k, v in want.items())]


def sweep(rows, **want):
    """Rows of the main sweep (automatic executor block, codec block 4096)."""
    return [r for r in select(rows, block=0, pq_block=4096, **want) if r.get("kernel")]


def ref_case(rows, **want):
    return sweep(rows, kernel=REF[0], workload=REF[1], sparsity=REF[2], **want)


def best(rows, trusted_only=True):
    rows = [r for r in rows if ok(r) and not (trusted_only and r["noisy"])]
    return min(rows, key=lambda r: r["ms"]) if rows else None


def uncertainty(*used):
    """Relative uncertainty of a product or ratio of the rows' medians."""
    return math.sqrt(sum((MEDIAN_SE * r["spread"]) ** 2 / len(r["runs"]) for r in used))


def sizes(rows):
    families = {f for _, f, _ in MODES}
    return sorted({r["size"] for r in rows if r["family"] in families and r.get("kernel") == REF[0]})


def fmt_n(n):
    e = len(str(n)) - 1
    return f"1e{e}" if n == 10 ** e else f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else str(n)


def fmt_ms(v):
    if v is None:
        return "–"
    return f"{v:.0f}" if v >= 100 else f"{v:.2f}" if v >= 1 else f"{v:.3f}" if v >= 0.01 else f"{v:.2e}"


def threads_note(r):
    """` @T` for the rows of a multithreaded family."""
    return "" if "_1t" in r["family"] or r["family"] in ("peer_serial", "peer_plain") else f" @{r['threads']}"


# ---- the verdict -----------------------------------------------------------------------------

def question_table(rows):
    """Per N, the best trusted time of each mode on the reference case, and the fastest: a mode
    is named only when no noisy row of another mode was faster, and the runner-up is named
    beside it when their difference is within the noise."""
    out = ["| N | " + " | ".join(c for c, _, _ in MODES) + " | fastest |",
           "|---|" + "---|" * (len(MODES) + 1)]
    for n in sizes(rows):
        cells, trusted, noisy = [], [], []
        for column, family, decides in MODES:
            candidates = ref_case(rows, family=family, size=n)
            b = best(candidates)
            cells.append(fmt_ms(b["ms"]) + threads_note(b) if b else "noisy" if candidates else "–")
            if decides:
                noisy += [(r["ms"], column) for r in candidates if r["noisy"]]
                trusted += [(b["ms"], column, b)] if b else []
        trusted.sort(key=lambda x: x[0])
        fastest = trusted[0][1] if trusted else "–"
        if trusted and any(t < trusted[0][0] and c != fastest for t, c in noisy):
            fastest = "not decided: a noisy row was faster"
        elif len(trusted) > 1 and trusted[1][0] / trusted[0][0] - 1 <= 2 * uncertainty(trusted[0][2], trusted[1][2]):
            fastest += f" (≈ {trusted[1][1]}, within noise)"
        out.append(f"| {fmt_n(n)} | " + " | ".join(cells) + f" | {fastest} |")
    return out + ["", "Median ms per call; pq-1t / pq-mt: packed in → kernel → packed out; "
                  "rt: encode → decode → kernel; @T: threads of the best row.", ""]


class Figures:
    """The figures with their targets; a figure resting on a noisy row is not decided."""

    def __init__(self):
        self.lines, self.left_out = [], []

    def _add(self, name, used, value, unit, target, lower):
        if value is None:
            status = "not measured"
        elif any(r["noisy"] for r in used):
            status = "not decided: noisy"
            self.left_out += [r["name"] for r in used if r["noisy"] and r["name"] not in self.left_out]
        elif target is None:
            status = "-"
        else:
            status = ("met" if (value <= target if lower else value >= target) else
                      f"missed by {100 * (value / target - 1):.0f}%" if lower else
                      f"missed: {100 * value / target:.0f}% of target")
            margin = 2 * uncertainty(*used)
            if abs(value / target - 1) <= margin:
                status += f" (within noise, ±{margin:.0%})"
        shown = "–" if value is None else f"{value:.3g} {unit}"
        goal = "–" if target is None else f"{'<=' if lower else '>='} {target:g}"
        self.lines.append((name, shown, goal, status))

    def ratio(self, name, num, den, target=None):
        a, b = best(num) or best(num, False), best(den) or best(den, False)
        self._add(name, [a, b] if a and b else [], a["ms"] / b["ms"] if a and b else None, "x", target, True)

    def value(self, name, rows, unit="Gsites/s", target=None, lower=False, optional=False):
        r = best(rows) or best(rows, False)
        if r or not optional:
            value = r and (1e3 * r["ms"] if unit == "us" else r.get("Gsites/s"))
            self._add(name, [r] if r else [], value, unit, target, lower)


def figures(rows):
    f, (k, w, s) = Figures(), REF

    def ref(n, family, threads=None, kernel=k):
        return sweep(rows, family=family, size=n, kernel=kernel, workload=w, sparsity=s,
                     **({} if threads is None else {"threads": threads}))

    for n in (1000000, 10000000):
        for family, label in (("peer_omp", "OpenMP"), ("peer_tbb", "oneTBB"),
                              ("peer_tbb_static", "oneTBB static"), ("peer_std_par", "std::execution::par")):
            f.ratio(f"dense-mt / {label}, {k} N={fmt_n(n)} T=2", ref(n, "dense_mt", 2), ref(n, family, 2), 1.0)
    f.ratio("dense-mt T=2 / plain serial loop, N=1e4", ref(10000, "dense_mt", 2), ref(10000, "peer_plain"), 2.0)
    f.value("dispatch + join, empty kernel, 2 warm workers", select(rows, family="dispatch_empty"), "us", 0.3, True)
    for family, what in (("peer_omp_empty", "empty OpenMP region, 2 threads"),
                         ("peer_omp_empty_passive", "empty OpenMP region, 2 threads, OMP_WAIT_POLICY=passive"),
                         ("peer_tbb_empty", "empty oneTBB parallel_for, 2 threads")):
        f.value(f"for comparison: {what}", select(rows, family=family), "us", None, True, "passive" in family)
    largest = max((r["size"] for r in ref_case(rows, family="dense_mt")), default=None)
    if largest:
        at = f" N={fmt_n(largest)}"
        f.value(f"dense-mt, 1 worker, {k}{at}", ref(largest, "dense_mt", 1), target=10.0 if largest >= 10 ** 8 else None)
        f.value(f"for comparison: dense-1t (kernel called directly){at}", ref(largest, "dense_1t"))
        f.value(f"for comparison: memcpy, 1 thread{at}", select(rows, family="memcpy", size=largest))
        f.ratio(f"left_neighbor: dense-mt, 1 worker / dense-1t{at}", ref(largest, "dense_mt", 1, "left_neighbor"),
                ref(largest, "dense_1t", 1, "left_neighbor"), 1.05)
        f.ratio(f"dense-mt T=2: left_neighbor / sign_flip{at}", ref(largest, "dense_mt", 2, "left_neighbor"),
                ref(largest, "dense_mt", 2), 1.15)
        for kernel in ("sign_flip", "left_neighbor"):  # planes in -> kernel -> planes out against bytes
            f.ratio(f"{kernel}: bits-mt / dense-mt, 1 worker{at}", ref(largest, "bits_mt", 1, kernel),
                    ref(largest, "dense_mt", 1, kernel), 0.2)
        f.ratio(f"packed pipeline (PQ in, planes, PQ out) / dense-mt, T=2{at}", ref(largest, "pq_mt_packed", 2),
                ref(largest, "dense_mt", 2), 0.5)
    for n in sorted({r["size"] for r in rows if r["family"].startswith("codec/")}):
        for op in ("encode", "decode"):
            mine = select(rows, family=f"codec/{op}", size=n)
            theirs = select(rows, family=f"codec_reference/{op}", size=n)
            what = f"PQ {op}, 1 core, N={fmt_n(n)}"
            if n <= 1 << 20:
                if theirs:
                    f.ratio(f"{what}: dashi / hand-written reference", mine, theirs, 1.0)
                f.value(what, mine)
            else:
                f.value(f"{what}, from memory", mine, target=15.0)
                f.value(f"for comparison: hand-written reference, {what}", theirs)
    for op in ("pack", "unpack"):
        for n in sorted({r["size"] for r in rows if r["family"] == f"bits_{op}"}):
            f.value(f"bits {op}, 1 core, N={fmt_n(n)}", select(rows, family=f"bits_{op}", size=n),
                    target=40.0 if n <= 1 << 20 else None)
    speedups = iterated_speedups([r for r in rows if not r["noisy"]])
    if speedups:
        key, (sync, value) = max(((key, max(v.items(), key=lambda x: x[1])) for key, v in speedups.items()),
                                 key=lambda kv: kv[1][1])
        f.lines.append((f"best speedup of run_kernel_iterated over the step loop ({key[0]} "
                        f"N={fmt_n(key[1])} T={key[2]} steps={key[3]} S={sync})", f"{value:.3g} x", "–", "-"))
    return f


def verdict(rows):
    f = figures(rows)
    noisy, failed = [r for r in rows if r.get("noisy")], [r for r in rows if r.get("error")]
    out = [f"On {REF[0]}, {REF[1]}, sparsity {REF[2]} ({len(rows)} rows, {len(noisy)} of them noisy, "
           f"{len(failed)} with an error). Noisy rows decide nothing: a figure resting on one says "
           "*not decided*.", ""] + question_table(rows)
    out += ["| figure | measured | target | status |", "|---|---|---|---|"]
    for name, shown, goal, status in f.lines:
        bold = status.startswith(("missed", "not decided"))
        out.append(f"| {name} | {shown} | {goal} | {f'**{status}**' if bold else status} |")
    out.append("")
    for what, names in (("Left out as noisy", [f"`{x}`" for x in f.left_out]),
                        ("Rows with an error", [f"`{r['name']}` ({r['error']})" for r in failed])):
        if names:
            more = f", and {len(names) - 12} more" if len(names) > 12 else ""
            out += [f"{what} ({len(names)}): " + ", ".join(names[:12]) + more + ".", ""]
    return out


# ---- hypotheses --------------------------------------------------------------------------------

def combos(rows):
    return sorted({(r["kernel"], r["workload"], r["sparsity"]) for r in sweep(rows, family="pq_mt_packed")})


def best_of(rows, families, n, k, w, s):
    return best([r for fam in families for r in sweep(rows, family=fam, size=n, kernel=k, workload=w, sparsity=s)])


def dense_best(rows, n, k, w, s):
    return best_of(rows, ("dense_1t", "dense_mt"), n, k, w, s)


def pq_best(rows, n, k, w, s):
    return best_of(rows, ("pq_1t_packed", "pq_mt_packed"), n, k, w, s)


def pq_over_dense(rows, n):
    """[((kernel, workload, sparsity), best PQ packed time / best dense time)] at N."""
    pairs = [(c, dense_best(rows, n, *c), pq_best(rows, n, *c)) for c in combos(rows)]
    return [(c, p["ms"] / d["ms"]) for c, d, p in pairs if d and p]


def hypotheses(rows, hw):
    """The hypotheses of the design on the trusted rows, and the answer to the question."""
    at = {n: pq_over_dense(rows, n) for n in sizes(rows)}  # each ratio computed once
    ns = [n for n in at if at[n]]
    if not ns:
        return [], "No trusted rows of both dense and PQ in the inputs (all noisy or none)."
    med = statistics.median
    lines = ["| hypothesis | measured | verdict |", "|---|---|---|"]
    first = [x for _, x in at[ns[0]]]
    wins = sum(x > 1 for x in first)
    lines.append(f"| Dense wins for small N | N={fmt_n(ns[0])}: dense fastest in {wins}/{len(first)} "
                 f"(kernel, workload, sparsity) cases; best PQ takes {med(first):.1f}× the best dense time "
                 f"(median; {min(first):.1f}–{max(first):.1f}×) | "
                 + ("supported" if wins == len(first) else "mostly supported" if wins >= 0.8 * len(first)
                    else "refuted") + " |")
    parts, speedup = [], {}
    for n in ns:
        one = best(ref_case(rows, family="dense_mt", size=n, threads=1))
        many = best([r for r in ref_case(rows, family="dense_mt", size=n) if r["threads"] > 1])
        if one and many:
            speedup[n] = one["ms"] / many["ms"]
            gb = lambda r: (r.get("bytes_per_second") or 0) / 1e9  # noqa: E731
            parts.append(f"N={fmt_n(n)}: {speedup[n]:.2f}× at T={many['threads']} ({gb(one):.0f}→{gb(many):.0f} GB/s)")
    if speedup:
        top, last = max(speedup.values()), speedup[max(speedup)]
        v = ("not observed: no thread count beats 1 thread" if top < 1.15 else
             "supported: scaling fades at the largest N" if last < 0.85 * top else
             "partly: scales, no saturation seen up to the largest N" if max(speedup) >= 10 ** 7 else
             "partly: scales; N too small to reach DRAM (run --large)")
        lines.append(f"| Dense scales until memory bandwidth saturates | speedup of the best dense-mt "
                     f"over dense-mt T=1 ({REF[0]}): {'; '.join(parts)} | {v} |")
    parts, last = [], None
    codec = lambda r: r["t_encode_ms"] + r["t_decode_ms"]  # noqa: E731
    for n in ns:
        one = best(ref_case(rows, family="pq_1t_roundtrip", size=n))
        many = [r for r in ref_case(rows, family="pq_mt_roundtrip", size=n)
                if r["threads"] > 1 and r.get("t_encode_ms") is not None]
        if one and many and one.get("t_encode_ms") is not None:
            m = min(many, key=codec)
            last = codec(one) / codec(m)
            parts.append(f"N={fmt_n(n)}: {last:.2f}× (T={m['threads']})")
    if last is not None:
        v = "supported" if last >= 0.65 * hw else "partly" if last >= 1.1 else "refuted at these sizes"
        lines.append(f"| PQ encode/decode parallelise | encode+decode time, pq-1t over the best pq-mt "
                     f"(roundtrip, {REF[0]}): {'; '.join(parts)} ({hw} hardware threads) | {v} |")
    per_n, win_ns = [], []
    for n in ns:
        ratios = [x for _, x in at[n]]
        wins = sum(x < 1 for x in ratios)
        per_n.append(f"N={fmt_n(n)}: PQ faster in {wins}/{len(ratios)}, PQ/dense {med(ratios):.2f}×")
        win_ns += [n] if wins >= 0.2 * len(ratios) else []
    v = ("refuted here: PQ does not win at the sizes measured" if not win_ns else
         "refuted: PQ also wins at small N" if win_ns[0] == ns[0] else
         f"supported in part: PQ wins only from N={fmt_n(win_ns[0])}")
    lines.append(f"| PQ wins only for large N | best packed pipeline vs best dense (median over kernels, "
                 f"workloads, sparsities): {'; '.join(per_n)} | {v} |")
    per_n, planes_gain = [], None
    for n in ns:
        gains = [d["ms"] / b["ms"] for c in combos(rows)
                 for d, b in [(dense_best(rows, n, *c), best_of(rows, ("bits_1t", "bits_mt"), n, *c))] if d and b]
        if gains:
            per_n.append(f"N={fmt_n(n)}: {med(gains):.2f}×")
            planes_gain = (n, med(gains))
    if per_n:
        lines.append(f"| Computing on the packed form (bit planes) beats dense | best dense time over the "
                     f"best bit-plane time, median over kernels, workloads, sparsities: {'; '.join(per_n)} "
                     f"| {'supported' if planes_gain[1] > 1 else 'refuted'} |")
    if [r for r in select(rows, kernel=REF[0], size=1000000) if r["block"] or r["pq_block"] != 4096]:
        def spread(family, key, threads=None):
            pts = {r[key]: r["ms"] for r in select(rows, family=family, kernel=REF[0], workload=REF[1],
                                                     sparsity=REF[2], size=1000000)
                   if (threads is None or r["threads"] == threads)
                   and (r["pq_block"] == 4096 if key == "block" else r["block"] == 0)}
            return (max(pts.values()) / min(pts.values()), len(pts)) if len(pts) > 1 else None
        d, p = spread("dense_mt", "block", hw), spread("pq_mt_packed", "block", hw)
        q1, qm = spread("pq_1t_packed", "pq_block"), spread("pq_mt_packed", "pq_block", hw)
        parts = [f"{what} over {x[1]} {kind} blocks: max/min {x[0]:.2f}×" for what, kind, x in (
            (f"dense-mt T={hw}", "executor", d), (f"pq-mt packed T={hw}", "executor", p),
            ("pq-1t packed", "codec", q1), (f"pq-mt packed T={hw}", "codec", qm)) if x]
        pq_spread, d_spread = max([x[0] for x in (p, q1, qm) if x] or [1.0]), d[0] if d else 1.0
        v = ("supported" if pq_spread >= 1.25 and pq_spread > d_spread else
             "refuted: PQ no more sensitive than dense" if pq_spread <= d_spread else "weak: under 25% spread")
        lines.append(f"| PQ is sensitive to block size | N=1e6, {REF[0]}: {'; '.join(parts)} | {v} |")
    pairs = at[ns[-1]]
    ratios = [x for _, x in pairs]
    cases = [f"{k} {w.split('_')[0]} s={s:g} ({x:.2f}×)" for (k, w, s), x in pairs if x < 1]
    d, p = dense_best(rows, ns[-1], *REF), pq_best(rows, ns[-1], *REF)
    detail = (f" For {REF[0]} on {REF[1]} at sparsity {REF[2]}: {d['family']} T={d['threads']} "
              f"{fmt_ms(d['ms'])} ms against {p['family']} T={p['threads']} {fmt_ms(p['ms'])} ms."
              if d and p else "")
    if not cases:
        answer = (f"**Dense multithreading is better.** At the largest N measured ({fmt_n(ns[-1])}) the "
                  f"best dense run beats the best PQ pipeline in every case; PQ takes {med(ratios):.2f}× the "
                  f"dense time (median).{detail} PQ pays for itself as a storage format (bits/site), not as "
                  "a way to run kernels faster on this machine.")
    elif len(cases) == len(pairs):
        answer = (f"**PQ + multithreading helps at large N.** At N={fmt_n(ns[-1])} the best PQ pipeline "
                  f"beats the best dense run in every case (median {1 / med(ratios):.2f}× faster).{detail}")
    else:
        answer = (f"**Dense multithreading is the better default; PQ + multithreading helps only at "
                  f"large N and only for some inputs.** At N={fmt_n(ns[-1])} the packed pipeline beats "
                  f"the best dense run in {len(cases)} of {len(pairs)} cases: {', '.join(cases)}; over "
                  f"all cases it takes {med(ratios):.2f}× the dense time (median).{detail}")
    if planes_gain:
        answer += (f" **Computing on the packed form is another matter:** held as bit planes (2 bits a "
                   f"site) and run by bit-sliced kernels, the field beats the best dense run by "
                   f"{planes_gain[1]:.2f}× (median) at N={fmt_n(planes_gain[0])}, the largest N with trusted "
                   "rows of both.")
    return lines, answer


def iterated_speedups(rows):
    """{(kernel, N, threads, steps): {steps_per_sync: step loop time / iterated time}}."""
    loops, runs = {}, defaultdict(dict)
    for r in rows:
        if ok(r) and r["family"] in ("step_loop", "iterated"):
            key = (r["kernel"], r["size"], r["threads"], r["steps"])
            if r["family"] == "step_loop":
                loops[key] = r["ms"]
            else:
                runs[key][r["steps_per_sync"]] = r["ms"]
    return {k: {s: loops[k] / t for s, t in v.items()} for k, v in runs.items() if k in loops}


# ---- the page ----------------------------------------------------------------------------------

def machine(rows, contexts, commit):
    c = contexts[0]
    caches = {f"L{x['level']}{'d' if x['type'] == 'Data' else ''}": x["size"] // 1024
              for x in c.get("caches", []) if x["type"] != "Instruction"}
    shares = [r["cpu_share"] for r in rows if ok(r) and r["threads"] == 1 and r.get("size")]
    loads = [x.get("load_avg", [0])[0] for x in contexts]
    return [f"- CPU: {c.get('cpu_model', '?')}, {c.get('hardware_threads', c.get('num_cpus'))} hardware "
            f"threads; the dispatch uses {c.get('isa', '?')} (DASHI_ISA {c.get('DASHI_ISA', 'unset')}); "
            + ", ".join(f"{k} {v} KiB" for k, v in caches.items())
            + f"; automatic executor block {c.get('auto_block_elems', '?')} sites; peers: {c.get('peers', '?')}",
            f"- OS: {platform.system()} {platform.release()}; commit {commit or '?'}; generated "
            f"{datetime.date.today().isoformat()}; tier {', '.join(x.get('tier', '?') for x in contexts)}",
            f"- Load: 1-minute load average {', '.join(f'{x:.1f}' for x in loads)} at the start"
            + (f"; single-thread rows got {100 * statistics.median(shares):.0f}% of a core (median)"
               if shares else "")]


def summary_table(rows):
    cols = [(f, label) for f, label in SERIES if ref_case(rows, family=f)]
    out = [f"Best time per family (ms per call; {REF[0]}, {REF[1]}, sparsity {REF[2]}; `@T` = threads "
           "of the best row; `*` = only noisy rows). The peers run the shipped kernel's own inner loop; "
           "`peer_plain` and `peer_omp_plain` are the plain loops a user writes:", "",
           "| N | " + " | ".join(label for _, label in cols) + " |", "|---|" + "---|" * len(cols)]
    for n in sizes(rows):
        cells = []
        for f, _ in cols:
            b = best(ref_case(rows, family=f, size=n)) or best(ref_case(rows, family=f, size=n), False)
            cells.append("–" if not b else fmt_ms(b["ms"]) + ("*" if b["noisy"] else "") + threads_note(b))
        out.append(f"| {fmt_n(n)} | " + " | ".join(cells) + " |")
    out += ["", "PQ storage (codec block 4096), from the packed rows:", "",
            "| workload | sparsity | bits/site | entropy bound H(s)+s | overhead |", "|---|---|---|---|---|"]
    seen = {}
    for r in sweep(rows, family="pq_1t_packed"):
        seen.setdefault((r["workload"], r["sparsity"]), r)
    for (w, s), r in sorted(seen.items()):
        out.append(f"| {w} | {s:g} | {r['bits_per_site']:.3f} | {r['entropy_bits_per_site']:.3f} | "
                   f"{r['overhead_bits_per_site']:.3f} |")
    return out + [""]


def iterated_section(rows):
    table = iterated_speedups(rows)
    if not table:
        return []
    most = max(k[3] for k in table)
    loop = {(r["kernel"], r["size"], r["threads"], r["steps"]): r["ms"] for r in select(rows, family="step_loop")}
    out = ["## Iterated kernels: temporal blocking", "",
           "`run_kernel_iterated(pool, kernel, input, steps, output, spare, {.steps_per_sync = S})` "
           "against the naive loop of `steps` `run_kernel_parallel` calls ping-ponging between the same "
           "two preallocated buffers (random_sparse, sparsity 0.5; majority3x3 on N/1000 × 1000 fields, "
           "the others 1-D). Both outputs are compared with `steps` monolithic applications. Speedup = "
           "step loop time / iterated time.", "",
           f"| kernel | N | threads | step loop, {most} steps (ms) | best S | iterated (ms) | speedup | S = 1 |",
           "|---|---|---|---|---|---|---|---|"]
    for key in sorted(k for k in table if k[3] == most):
        by = table[key]
        s = max(by, key=by.get)
        out.append(f"| {key[0]} | {fmt_n(key[1])} | {key[2]} | {loop[key]:.3g} | {s} | "
                   f"{loop[key] / by[s]:.3g} | {by[s]:.2f}× | {by.get(1, float('nan')):.2f}× |")
    noisy = [r for r in rows if r["family"] in ("iterated", "step_loop") and r.get("noisy")]
    return out + ["", f"{len(noisy)} of these rows were noisy: the table shows them, the verdict "
                  "takes no figure from them.", ""]


def write_page(rows, contexts, args, hw, verdict_lines, plotted):
    hyp, answer = hypotheses([r for r in rows if not r.get("noisy")], hw)
    spreads = [r["spread"] for r in rows if ok(r)]
    md = ["# Benchmarks", "",
          "What `dashicore_bench` measures and why: [bench/README.md](../bench/README.md). This page "
          "is generated by `bench/report/report.py` from the run on the machine below; numbers from "
          "another machine will differ.", "",
          "## The question", "", "> Does PQ + multithreading help, or is dense MT better?", "", answer, "",
          "## Machine and commands", ""] + machine(rows, contexts, args.commit)
    md += ["", "```sh"] + (args.command or ["scripts/bench.sh"]) + ["```", "",
           f"Inputs: {', '.join(c['source'] for c in contexts)}; {len(rows)} distinct rows. Every row's "
           "output fingerprint was compared with the monolithic reference; a mismatch is an error, "
           "never a number.", "",
           f"Noisy rows: {sum(r.get('noisy', False) for r in rows)} of {len(rows)}. A row is noisy when "
           f"the spread of its repetitions (1.4826 × median absolute deviation / median) is above "
           f"{args.noisy_spread:.0%}, when other processes used more than {args.noisy_load:.0%} of the "
           "CPUs, or when a single-thread row got less than 85% of a core"
           + (f"; the median spread of this run is {statistics.median(spreads):.1%}" if spreads else "")
           + ". Noisy rows are shown, marked `*`, but the verdict and the hypotheses rest only on the "
           "others; a figure whose distance to its target is within twice the uncertainty of its "
           "medians says *within noise*.", ""]
    md += [n + "\n" for n in args.note]
    md += ["## Verdict", ""] + verdict_lines + iterated_section(rows)
    if "iterated" in plotted:
        md += [f"![Temporal blocking]({args.img_rel}/iterated.png)", "",
               "Top: speedup against steps_per_sync at the most steps. Bottom: speedup against the "
               "number of steps at the deepest blocking. Solid lines: all hardware threads; dashed: "
               "one thread.", ""]
    if hyp:
        md += ["## Hypotheses", ""] + hyp + [""]
    md += summary_table(rows) + ["## Plots", ""]
    for name, caption in plots.CAPTIONS:
        if name in plotted:
            md += [f"![{name}]({args.img_rel}/{name}.png)", "", caption.format(hw=hw), ""]
    with open(args.markdown, "w", encoding="utf-8") as handle:
        handle.write("\n".join(md))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="Google Benchmark JSON files (.gz allowed)")
    parser.add_argument("--img-dir", default=None, help="where the PNGs go (default: no plots)")
    parser.add_argument("--markdown", default=None, help="the report page (default: none)")
    parser.add_argument("--command", action="append", default=[], help="a command shown in the page")
    parser.add_argument("--commit", default="", help="the commit measured")
    parser.add_argument("--note", action="append", default=[], help="a paragraph shown in the page")
    parser.add_argument("--noisy-spread", type=float, default=0.10,
                        help="1.4826 * MAD / median of the repetitions above this: noisy")
    parser.add_argument("--noisy-load", type=float, default=0.25,
                        help="other processes' share of the CPUs above this: noisy")
    args = parser.parse_args()
    rows, contexts = load(args.inputs, args.noisy_spread, args.noisy_load)
    if not rows:
        print("report.py: no rows in the inputs", file=sys.stderr)
        return 1
    hw = int(contexts[0].get("hardware_threads", contexts[0].get("num_cpus", 1)))
    verdict_lines = verdict(rows)
    print(f"\n=== verdict ({', '.join(c['source'] for c in contexts)}) ===\n")
    print("\n".join(verdict_lines))
    plotted = set()
    if args.img_dir:
        os.makedirs(args.img_dir, exist_ok=True)
        plotted = plots.draw(rows, args.img_dir, hw, sys.modules[__name__])
    if args.markdown:
        md_dir = os.path.dirname(os.path.abspath(args.markdown))
        args.img_rel = os.path.relpath(os.path.abspath(args.img_dir or md_dir), md_dir)
        write_page(rows, contexts, args, hw, verdict_lines, plotted)
        print(f"report.py: {len(rows)} rows -> {args.markdown}" + (f", {args.img_dir}/*.png" if plotted else ""))
    return 1 if any(r.get("mismatch") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
