#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Turn dashicore_bench results into plots and a verdict on the seed's hypotheses.

Run it with the system Python, which has matplotlib (python3-matplotlib):

    /usr/bin/python3 bench/report/report.py results.jsonl [more.jsonl | gbench.json ...] \
        --img-dir docs/img --markdown docs/benchmarks.md

Inputs are JSONL files written by `dashicore_bench --jsonl FILE` and/or Google Benchmark
JSON files (`--benchmark_out=FILE --benchmark_out_format=json`); a name ending in .gz is read
through gzip. Rows with the same
benchmark name from several inputs (repeated runs) are combined: their median time is used.
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
import subprocess
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iterated  # noqa: E402

MODES = ("dense-1t", "dense-mt", "pq-1t", "pq-mt")
# The reference case of the plots and tables: set in main() from the bench's own record
# (`reference_case()`), never chosen here.
REF_KERNEL, REF_WORKLOAD, REF_SPARSITY = "", "", 0.0
COLORS = {
    "dense-1t": "#1f77b4",
    "dense-mt": "#2ca02c",
    "peer_serial": "#7f7f7f",
    "peer_omp": "#9467bd",
    "peer_omp passive": "#bcbd22",
    "peer_plain": "#c7c7c7",
    "peer_omp_plain": "#c5b0d5",
    "peer_tbb": "#17becf",
    "peer_tbb_static": "#9edae5",
    "peer_std_par": "#dbdb8d",
    "pq-1t packed": "#ff7f0e",
    "pq-mt packed": "#d62728",
    "pq-1t roundtrip": "#e377c2",
    "pq-mt roundtrip": "#8c564b",
}


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def parse_name(name: str) -> dict:
    """Fields of a dashicore_bench benchmark name (Google Benchmark JSON input)."""
    parts = name.split("/")
    row = {"benchmark": name}
    head = parts[0]
    if head == "dispatch_empty":
        row.update(mode="dispatch", backend="dashi", kernel="empty", workload="zeros",
                   suite="dispatch", memory_mode="dense")
        rest = parts[1:]
    elif head in ("iterated", "step_loop"):
        row.update(mode="iterated", backend="dashi" if head == "iterated" else "step_loop",
                   kernel=parts[1], workload=parts[2], suite="iterated", steps_per_sync=1)
        rest = parts[3:]
    else:
        backend = {"peer_serial": "peer_serial", "peer_omp": "peer_omp"}.get(head, "dashi")
        mode = {"peer_serial": "dense-1t", "peer_omp": "dense-mt"}.get(head, head.replace("_", "-"))
        row.update(mode=mode, backend=backend, kernel=parts[1], workload=parts[2])
        rest = parts[3:]
    for part in rest:
        if ":" not in part:
            continue
        key, value = part.split(":", 1)
        if key == "N":
            row["size"] = int(value)
        elif key in ("threads", "block", "pq_block", "steps", "steps_per_sync"):
            row[{"block": "block_elems", "pq_block": "pq_block_sites"}.get(key, key)] = int(value)
        elif key == "sparsity":
            row["sparsity"] = float(value)
        elif key == "pipeline":
            row["pipeline"] = value
    return row


def load_gbench(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    rows = []
    for bench in data.get("benchmarks", []):
        if bench.get("run_type") == "aggregate" and bench.get("aggregate_name") != "median":
            continue
        name = bench.get("run_name", bench["name"])
        for suffix in ("/real_time",):
            name = name.split(suffix)[0]
        name = "/".join(p for p in name.split("/") if not p.startswith(("min_time:", "repeats:")))
        row = parse_name(name)
        if "t_total_ms" not in bench:
            continue
        row.update({k: bench.get(k) for k in ("t_encode_ms", "t_kernel_ms", "t_decode_ms",
                                              "t_total_ms", "sites_per_s", "bits_per_site")})
        row["match"] = None if row["mode"] == "dispatch" else bool(bench.get("match", 0))
        row["error"] = bench.get("error_message") if bench.get("error_occurred") else None
        row.setdefault("pipeline", "dense")
        row.setdefault("pq_block_sites", 4096)
        row["overhead_bits_per_site"] = bench.get("overhead_bits_per_site")
        row["entropy_bits_per_site"] = bench.get("entropy_bits_per_site")
        row["GB_per_s"] = bench.get("GB_per_s")
        row["suite"] = row.get("suite") or ("block_sweep" if (row.get("block_elems") or row.get(
            "pq_block_sites", 4096) != 4096) else "cpu_multithread")
        rows.append(row)
    return rows


def open_text(path: str):
    """A results file for reading, gzip-compressed when its name ends in .gz."""
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


VERDICTS: list[dict] = []  # the verdict records of the inputs (computed by dashicore_bench)


def load_jsonl(path: str) -> list[dict]:
    rows = []
    with open_text(path) as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            raw = json.loads(line)
            if raw.get("suite") == "verdict":
                VERDICTS.append(dict(raw, source=os.path.basename(path)))
                continue
            meta = raw.get("meta", {})
            row = dict(raw)
            row["benchmark"] = meta.get("benchmark")
            row["pipeline"] = meta.get("pipeline", "dense")
            row["pq_block_sites"] = meta.get("pq_block_sites", 4096)
            row["overhead_bits_per_site"] = meta.get("overhead_bits_per_site")
            row["entropy_bits_per_site"] = meta.get("entropy_bits_per_site")
            row["GB_per_s"] = meta.get("GB_per_s")
            row["error"] = meta.get("error")
            row["block_elems"] = raw.get("block_elems", 0)
            row["noisy"] = bool(meta.get("noisy", False))
            policy = str(meta.get("omp_wait_policy", "default")).lower()
            if str(row.get("backend", "")).startswith("peer_omp") and policy != "default":
                # The same rows under another OpenMP wait policy: a peer of their own.
                row["backend"] = f"{row['backend']}_{policy}"
                row["benchmark"] = f"{row['benchmark']}|OMP_WAIT_POLICY={policy}"
            rows.append(row)
    return rows


def load(paths: list[str]) -> list[dict]:
    """All rows, repeated benchmarks combined into one row with the median times."""
    by_name: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        with open_text(path) as handle:
            first = handle.read(1)
        rows = load_gbench(path) if first == "{" and path.endswith(".json") else load_jsonl(path)
        for row in rows:
            by_name[row["benchmark"]].append(row)
    combined = []
    for runs in by_name.values():
        good = [r for r in runs if not r.get("error")]
        base = dict((good or runs)[-1])
        base["runs"] = len(runs)
        base["errors"] = len(runs) - len(good)
        base["mismatch"] = any(r.get("match") is False for r in runs)
        # Noisy when most of its runs were (a row repeated in several files may recover).
        base["noisy"] = sum(bool(r.get("noisy")) for r in good) * 2 > len(good) if good else False
        if good:
            for key in ("t_encode_ms", "t_kernel_ms", "t_decode_ms", "t_total_ms", "sites_per_s",
                        "GB_per_s"):
                values = [r[key] for r in good if r.get(key) is not None]
                if values:
                    base[key] = statistics.median(values)
            base["t_total_all"] = sorted(r["t_total_ms"] for r in good)
        combined.append(base)
    return combined


# --------------------------------------------------------------------------------------
# Selection helpers
# --------------------------------------------------------------------------------------


def ok(row: dict) -> bool:
    return not row.get("error") and not row.get("mismatch") and row.get("t_total_ms")


def trusted(rows):
    """The rows a verdict may rest on: no error, no mismatch, not noisy."""
    return [r for r in rows if ok(r) and not r.get("noisy")]


def select(rows, **want):
    out = []
    for row in rows:
        if not ok(row):
            continue
        if all(row.get(k) == v for k, v in want.items()):
            out.append(row)
    return out


def sweep(rows, **want):
    """Rows of the main sweep (default executor and codec blocks)."""
    return [r for r in select(rows, **want)
            if r.get("suite") == "cpu_multithread" and r.get("block_elems", 0) == 0
            and r.get("pq_block_sites", 4096) == 4096]


def best(rows):
    rows = [r for r in rows if ok(r)]
    return min(rows, key=lambda r: r["t_total_ms"]) if rows else None


def label(row) -> str:
    if row["backend"] != "dashi":
        return row["backend"]
    if row["mode"].startswith("pq"):
        return f"{row['mode']} {row['pipeline']}"
    return row["mode"]


def fmt_ms(value) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2e}"


def fmt_n(n: int) -> str:
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"1e{exponent}" if 10 ** exponent == n else str(n)


def sizes(rows):
    return sorted({r["size"] for r in rows if r.get("mode") in MODES})


def threads_axis(rows):
    return sorted({r["threads"] for r in rows if r.get("mode") in MODES})


def groups(rows):
    """(kernel, workload, sparsity) combinations of the sweep."""
    return sorted({(r["kernel"], r["workload"], r["sparsity"]) for r in rows
                   if r.get("suite") == "cpu_multithread" and r.get("mode") in MODES})


def dense_best(rows, n, kernel, workload, sparsity):
    return best(sweep(rows, size=n, kernel=kernel, workload=workload, sparsity=sparsity,
                      backend="dashi", pipeline="dense"))


def pq_best(rows, n, kernel, workload, sparsity, pipeline="packed"):
    return best(sweep(rows, size=n, kernel=kernel, workload=workload, sparsity=sparsity,
                      backend="dashi", pipeline=pipeline))


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_time_vs_n(rows, path, hw):
    kernels = sorted({r["kernel"] for r in rows if r.get("mode") in MODES})
    fig, axes = plt.subplots(1, len(kernels), figsize=(4.2 * len(kernels), 3.8), squeeze=False)
    for ax, kernel in zip(axes[0], kernels):
        common = dict(kernel=kernel, workload=REF_WORKLOAD, sparsity=REF_SPARSITY)
        series = {
            "dense-1t": sweep(rows, mode="dense-1t", backend="dashi", **common),
            "peer_serial": sweep(rows, backend="peer_serial", **common),
            "dense-mt": sweep(rows, mode="dense-mt", backend="dashi", threads=hw, **common),
            "peer_omp": sweep(rows, backend="peer_omp", threads=hw, **common),
            "peer_omp passive": sweep(rows, backend="peer_omp_passive", threads=hw, **common),
            "pq-1t packed": sweep(rows, mode="pq-1t", pipeline="packed", **common),
            "pq-mt packed": sweep(rows, mode="pq-mt", pipeline="packed", threads=hw, **common),
            "pq-mt roundtrip": sweep(rows, mode="pq-mt", pipeline="roundtrip", threads=hw,
                                     **common),
        }
        for name, points in series.items():
            points = sorted(points, key=lambda r: r["size"])
            if not points:
                continue
            style = "--" if name.startswith("peer") else "-"
            ax.plot([p["size"] for p in points], [p["t_total_ms"] for p in points], style,
                    marker="o", ms=3, color=COLORS[name], label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{kernel}", fontsize=10)
        ax.set_xlabel("N (sites)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("time per call (ms)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"Time vs N ({REF_WORKLOAD}, sparsity {REF_SPARSITY}; mt rows with {hw} threads)",
                 fontsize=10)
    save(fig, path)


def plot_speedup_vs_threads(rows, path):
    panels = [("dense-mt", "dense", "dashi"), ("peer_omp", "dense", "peer_omp"),
              ("pq-mt packed", "packed", "dashi")]
    fig, axes = plt.subplots(1, len(panels), figsize=(12.5, 3.8))
    ns = sizes(rows)
    cmap = plt.get_cmap("viridis")
    for ax, (title, pipeline, backend) in zip(axes, panels):
        for i, n in enumerate(ns):
            ref = best(sweep(rows, mode="dense-1t", backend="dashi", size=n, kernel=REF_KERNEL,
                             workload=REF_WORKLOAD, sparsity=REF_SPARSITY))
            mode = "pq-mt" if pipeline == "packed" else "dense-mt"
            points = sorted(sweep(rows, mode=mode, backend=backend, pipeline=pipeline, size=n,
                                  kernel=REF_KERNEL, workload=REF_WORKLOAD,
                                  sparsity=REF_SPARSITY), key=lambda r: r["threads"])
            if not ref or not points:
                continue
            ax.plot([p["threads"] for p in points],
                    [ref["t_total_ms"] / p["t_total_ms"] for p in points], marker="o", ms=3,
                    color=cmap(i / max(1, len(ns) - 1)), label=f"N={fmt_n(n)}")
        ax.axhline(1.0, color="black", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        low, high = ax.get_ylim()
        subs = (1.0,) if high / low > 50 else (1.0, 2.0, 5.0)
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("threads")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("speedup over dense-1t")
    axes[-1].legend(fontsize=7)
    fig.suptitle(f"Speedup vs threads ({REF_KERNEL}, {REF_WORKLOAD}, sparsity {REF_SPARSITY})",
                 fontsize=10)
    save(fig, path)


def plot_crossover(rows, path):
    kernels = sorted({r["kernel"] for r in rows if r.get("mode") in MODES})
    fig, axes = plt.subplots(1, len(kernels), figsize=(4.2 * len(kernels), 3.8), sharey=True,
                             squeeze=False)
    styles = {0.0: "o", 0.5: "s", 0.9: "^"}
    for ax, kernel in zip(axes[0], kernels):
        for (k, workload, sparsity) in groups(rows):
            if k != kernel:
                continue
            xs, ys = [], []
            for n in sizes(rows):
                d = dense_best(rows, n, kernel, workload, sparsity)
                p = pq_best(rows, n, kernel, workload, sparsity)
                if d and p:
                    xs.append(n)
                    ys.append(p["t_total_ms"] / d["t_total_ms"])
            if xs:
                ax.plot(xs, ys, marker=styles.get(sparsity, "o"), ms=3,
                        ls="-" if workload == "random_sparse" else "--",
                        label=f"{workload.split('_')[0]} s={sparsity:g}")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(kernel, fontsize=10)
        ax.set_xlabel("N (sites)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("best PQ packed / best dense (time)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("PQ vs dense crossover (below 1: PQ faster)", fontsize=10)
    save(fig, path)


def plot_block_size(rows, path):
    blocks = select(rows, suite="block_sweep")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    if not blocks:
        for ax in axes:
            ax.text(0.5, 0.5, "no block sweep rows", ha="center", va="center")
        save(fig, path)
        return
    n = blocks[0]["size"]
    hw = hardware_threads(rows)
    common = dict(size=n, kernel=REF_KERNEL, workload=REF_WORKLOAD, sparsity=REF_SPARSITY)

    # Left: executor block size (categorical axis; 0 = automatic).
    ax = axes[0]
    exec_blocks = sorted({r["block_elems"] for r in blocks} | {0})
    positions = {b: i for i, b in enumerate(exec_blocks)}
    for mode, pipeline, color in (("dense-mt", "dense", COLORS["dense-mt"]),
                                  ("pq-mt", "packed", COLORS["pq-mt packed"]),
                                  ("pq-mt", "roundtrip", COLORS["pq-mt roundtrip"])):
        for t, style in ((1, ":"), (hw, "-")):
            by_block = {r["block_elems"]: r["t_total_ms"]
                        for r in select(rows, mode=mode, pipeline=pipeline, backend="dashi",
                                        threads=t, **common)
                        if r.get("pq_block_sites", 4096) == 4096}
            if len(by_block) < 2:
                continue
            xs = sorted(by_block)
            name = mode if pipeline == "dense" else f"{mode} {pipeline}"
            ax.plot([positions[x] for x in xs], [by_block[x] for x in xs], style, marker="o",
                    ms=3, color=color, label=f"{name} T={t}")
    ax.set_xticks(range(len(exec_blocks)))
    ax.set_xticklabels(["auto" if b == 0 else str(b) for b in exec_blocks])
    ax.set_yscale("log")
    ax.set_xlabel("executor block_elems (sites)")
    ax.set_ylabel("time per call (ms)")
    ax.set_title(f"executor block size, N={fmt_n(n)}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=6)

    # Right: PQ codec block size, automatic executor block.
    ax = axes[1]
    codec_blocks = sorted({r.get("pq_block_sites", 4096) for r in blocks if r["mode"].startswith("pq")}
                          | {4096})
    positions = {b: i for i, b in enumerate(codec_blocks)}
    for mode, t, style in (("pq-1t", 1, ":"), ("pq-mt", hw, "-")):
        for pipeline in ("packed", "roundtrip"):
            by_block = {r["pq_block_sites"]: r["t_total_ms"]
                        for r in select(rows, mode=mode, pipeline=pipeline, backend="dashi",
                                        block_elems=0, threads=t, **common)}
            if len(by_block) < 2:
                continue
            xs = sorted(by_block)
            ax.plot([positions[x] for x in xs], [by_block[x] for x in xs], style, marker="o",
                    ms=3, color=COLORS[f"pq-mt {pipeline}"], label=f"{mode} {pipeline} T={t}")
    ax.set_xticks(range(len(codec_blocks)))
    ax.set_xticklabels([str(b) for b in codec_blocks])
    ax.set_yscale("log")
    ax.set_xlabel("PQ block_sites (codec block, sites)")
    ax.set_title(f"PQ codec block size, N={fmt_n(n)}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle(f"Block-size sensitivity ({REF_KERNEL}, {REF_WORKLOAD}, sparsity {REF_SPARSITY})",
                 fontsize=10)
    save(fig, path)


def plot_pq_phases(rows, path):
    n = max(sizes(rows))
    common = dict(size=n, kernel=REF_KERNEL, workload=REF_WORKLOAD, sparsity=REF_SPARSITY)
    bars = []
    for pipeline in ("roundtrip", "packed"):
        one = sweep(rows, mode="pq-1t", pipeline=pipeline, **common)
        if one:
            bars.append((f"{pipeline}\n1t", one[0]))
        for r in sorted(sweep(rows, mode="pq-mt", pipeline=pipeline, **common),
                        key=lambda r: r["threads"]):
            bars.append((f"{pipeline}\nT={r['threads']}", r))
    dense = sorted(sweep(rows, mode="dense-mt", backend="dashi", **common),
                   key=lambda r: r["threads"])
    fig, ax = plt.subplots(figsize=(max(6, 0.75 * len(bars)), 3.8))
    xs = list(range(len(bars)))
    bottom = [0.0] * len(bars)
    for key, color, name in (("t_encode_ms", "#ff7f0e", "encode"), ("t_decode_ms", "#1f77b4", "decode"),
                             ("t_kernel_ms", "#2ca02c", "kernel")):
        values = []
        for _, r in bars:
            fused = r["pipeline"] == "packed" and not r.get("t_encode_ms") and not r.get("t_decode_ms")
            values.append(0.0 if fused else (r.get(key) or 0.0))
        ax.bar(xs, values, bottom=bottom, color=color, label=name)
        bottom = [a + b for a, b in zip(bottom, values)]
    fused_values = [r["t_total_ms"] if r["pipeline"] == "packed" and not r.get("t_encode_ms")
                    and not r.get("t_decode_ms") else 0.0 for _, r in bars]
    if any(fused_values):
        ax.bar(xs, fused_values, bottom=bottom, color="#d62728", hatch="//",
               label="packed pipeline (decode+kernel+encode fused per block)")
    if dense:
        best_dense = min(dense, key=lambda r: r["t_total_ms"])
        ax.axhline(best_dense["t_total_ms"], color="black", ls="--", lw=0.8,
                   label=f"best dense-mt (T={best_dense['threads']})")
    ax.set_xticks(xs)
    ax.set_xticklabels([b[0] for b in bars], fontsize=7)
    ax.set_ylabel("ms per call")
    ax.set_title(f"PQ time by phase vs threads, N={fmt_n(n)} ({REF_KERNEL}, sparsity {REF_SPARSITY})",
                 fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, axis="y", alpha=0.3)
    save(fig, path)


def hardware_threads(rows) -> int:
    for r in rows:
        cpu = (r.get("meta") or {}).get("cpu") or {}
        if cpu.get("hardware_concurrency"):
            return int(cpu["hardware_concurrency"])
    return max(threads_axis(rows) or [1])


# --------------------------------------------------------------------------------------
# Verdict
# --------------------------------------------------------------------------------------


def reference_case(rows):
    """The case the bench's verdict reads its ratios on (its `reference_case` record), so
    the report never names one of its own; for inputs written before the bench recorded
    it, the (kernel, workload, sparsity) with the most sweep rows."""
    for v in VERDICTS:
        if v.get("kind") == "reference_case":
            return v["kernel"], v["workload"], float(v["sparsity"])
    counts = defaultdict(int)
    for r in rows:
        if r.get("suite") == "cpu_multithread" and r.get("mode") in MODES:
            counts[(r["kernel"], r["workload"], r["sparsity"])] += 1
    return max(counts, key=counts.get) if counts else ("", "", 0.0)


def verdict_section() -> list[str]:
    """The verdict of dashicore_bench as it wrote it (one per input file): the per-N table
    and the figures with their targets. Nothing here is recomputed."""
    out = ["## Verdict of the run", ""]
    if not VERDICTS:
        return out + ["The inputs hold no verdict records (they predate the bench writing its "
                      "verdict into the JSONL file).", ""]
    sources = sorted({v["source"] for v in VERDICTS})
    for source in sources:
        records = [v for v in VERDICTS if v["source"] == source]
        ref = next((v for v in records if v.get("kind") == "reference_case"), {})
        if len(sources) > 1:
            out += [f"### {source}", ""]
        out.append(f"Computed by `dashicore_bench` on {ref.get('kernel', '?')}, "
                   f"{ref.get('workload', '?')}, sparsity {ref.get('sparsity', '?')} "
                   f"({ref.get('rows', '?')} rows, {ref.get('noisy', '?')} of them noisy, "
                   f"{ref.get('errors', '?')} with an error). Noisy rows decide nothing: a "
                   "figure resting on one says *not decided*.")
        out.append("")
        question = [v for v in records if v.get("kind") == "question"]
        if question:
            labels = list(question[0]["cells"].keys())
            out.append("| N | " + " | ".join(labels) + " | fastest |")
            out.append("|---|" + "---|" * (len(labels) + 1))
            for q in question:
                cells = []
                for name in labels:
                    c = q["cells"][name]
                    if c.get("ms") is None:
                        cells.append(c.get("note") or "–")
                    else:
                        cells.append(f"{fmt_ms(c['ms'])}{' ' + c['note'] if c.get('note') else ''}")
                out.append(f"| {fmt_n(q['size'])} | " + " | ".join(cells) + f" | {q['fastest']} |")
            out += ["", "Median ms per call; pq-1t / pq-mt: packed in → kernel → packed out; "
                        "pq-mt rt: encode → decode → kernel; @T: threads of the best row.", ""]
        figures = [v for v in records if v.get("kind") == "figure"]
        if figures:
            out += ["| figure | measured | target | status |", "|---|---|---|---|"]
            for f in figures:
                value = "–" if f.get("value") is None else f"{f['value']:.3g} {f['unit']}"
                status = f["status"]
                if status.startswith("missed") or status.startswith("not decided"):
                    status = f"**{status}**"
                out.append(f"| {f['figure']} | {value} | {f.get('target') or '–'} | {status} |")
            out.append("")
        left = ref.get("left_out") or []
        if left:
            shown = ", ".join(f"`{x}`" for x in left[:12])
            more = f", and {len(left) - 12} more (in the JSONL verdict record)" if len(left) > 12 else ""
            out += [f"Left out as noisy ({len(left)}): {shown}{more}.", ""]
    return out


def hypotheses(rows, hw) -> tuple[list[str], str]:
    ns = sizes(rows)
    lines = ["| hypothesis (seed §8) | measured | verdict |", "|---|---|---|"]
    combos = groups(rows)

    # H1: dense wins small N.
    n0 = ns[0]
    wins, ratios = 0, []
    for (k, w, s) in combos:
        d, p = dense_best(rows, n0, k, w, s), pq_best(rows, n0, k, w, s)
        if d and p:
            ratios.append(p["t_total_ms"] / d["t_total_ms"])
            wins += d["t_total_ms"] < p["t_total_ms"]
    if ratios:
        verdict = "supported" if wins == len(ratios) else (
            "mostly supported" if wins >= 0.8 * len(ratios) else "refuted")
        lines.append(f"| Dense wins for small N | N={fmt_n(n0)}: dense fastest in {wins}/{len(ratios)} "
                     f"(kernel, workload, sparsity) cases; best PQ takes {statistics.median(ratios):.1f}× "
                     f"the best dense time (median; {min(ratios):.1f}–{max(ratios):.1f}×) | {verdict} |")

    # H2: dense scales until bandwidth saturates.
    parts, speedups = [], {}
    for n in ns:
        one = best(sweep(rows, mode="dense-mt", backend="dashi", threads=1, size=n,
                         kernel=REF_KERNEL, workload=REF_WORKLOAD, sparsity=REF_SPARSITY))
        many = best([r for r in sweep(rows, mode="dense-mt", backend="dashi", size=n,
                                      kernel=REF_KERNEL, workload=REF_WORKLOAD,
                                      sparsity=REF_SPARSITY) if r["threads"] > 1])
        if one and many:
            s = one["t_total_ms"] / many["t_total_ms"]
            speedups[n] = s
            parts.append(f"N={fmt_n(n)}: {s:.2f}× at T={many['threads']} "
                         f"({one.get('GB_per_s') or 0:.0f}→{many.get('GB_per_s') or 0:.0f} GB/s)")
    if speedups:
        top = max(speedups.values())
        last = speedups[max(speedups)]
        if top < 1.15:
            verdict = "not observed: no thread count beats 1 thread"
        elif last < 0.85 * top:
            verdict = "supported: scaling fades at the largest N"
        elif max(speedups) >= 10000000:
            verdict = "partly: scales, no saturation seen up to the largest N"
        else:
            verdict = "partly: scales; N too small to reach DRAM (run --large)"
        lines.append(f"| Dense scales until memory bandwidth saturates | speedup of the best "
                     f"dense-mt over dense-mt T=1 (sign_flip): {'; '.join(parts)} | {verdict} |")

    # H3: PQ encode/decode parallelise.
    parts, best_codec = [], None
    for n in ns:
        one = sweep(rows, mode="pq-1t", pipeline="roundtrip", size=n, kernel=REF_KERNEL,
                    workload=REF_WORKLOAD, sparsity=REF_SPARSITY)
        many = [r for r in sweep(rows, mode="pq-mt", pipeline="roundtrip", size=n,
                                 kernel=REF_KERNEL, workload=REF_WORKLOAD,
                                 sparsity=REF_SPARSITY) if r["threads"] > 1]
        if not one or not many:
            continue
        c1 = one[0]["t_encode_ms"] + one[0]["t_decode_ms"]
        cm = min(many, key=lambda r: r["t_encode_ms"] + r["t_decode_ms"])
        s = c1 / (cm["t_encode_ms"] + cm["t_decode_ms"])
        parts.append(f"N={fmt_n(n)}: {s:.2f}× (T={cm['threads']})")
        best_codec = (n, s)
    if best_codec:
        n, s = best_codec
        ideal = min(hw, max(threads_axis(rows)))
        verdict = ("supported" if s >= 0.65 * ideal else
                   "partly" if s >= 1.1 else "refuted at these sizes")
        lines.append(f"| PQ encode/decode parallelise | encode+decode time, pq-1t over the best "
                     f"pq-mt (roundtrip, sign_flip): {'; '.join(parts)} ({hw} hardware threads) | "
                     f"{verdict} |")

    # H4: PQ wins only for large N. PQ "wins at N" when it is faster in at least a fifth
    # of the (kernel, workload, sparsity) cases there (single wins are within the noise).
    per_n, win_ns, winners = [], [], {}
    for n in ns:
        wins, total, ratios, who = 0, 0, [], []
        for (k, w, s) in combos:
            d, p = dense_best(rows, n, k, w, s), pq_best(rows, n, k, w, s)
            if d and p:
                total += 1
                ratios.append(p["t_total_ms"] / d["t_total_ms"])
                if p["t_total_ms"] < d["t_total_ms"]:
                    wins += 1
                    who.append(f"{k} {w.split('_')[0]} s={s:g}")
        if total:
            per_n.append(f"N={fmt_n(n)}: PQ faster in {wins}/{total}, PQ/dense "
                         f"{statistics.median(ratios):.2f}×")
            winners[n] = who
            if wins >= 0.2 * total:
                win_ns.append(n)
    if per_n:
        if not win_ns:
            verdict = "refuted here: PQ does not win at the sizes measured"
        elif win_ns[0] == ns[0]:
            verdict = "refuted: PQ also wins at small N"
        else:
            cases = winners[ns[-1]]
            verdict = (f"supported in part: PQ wins only from N={fmt_n(win_ns[0])}, and only in "
                       f"some cases (at N={fmt_n(ns[-1])}: {', '.join(cases) or 'none'})")
        lines.append(f"| PQ wins only for large N | best packed pipeline vs best dense (median "
                     f"over kernels, workloads, sparsities): {'; '.join(per_n)} | {verdict} |")

    # H5: PQ sensitive to block size.
    blocks = select(rows, suite="block_sweep")
    if blocks:
        n = blocks[0]["size"]
        common = dict(size=n, kernel=REF_KERNEL, workload=REF_WORKLOAD, sparsity=REF_SPARSITY)

        def spread(mode, pipeline, threads=None, key="block_elems"):
            pts = [r for r in select(rows, mode=mode, pipeline=pipeline, backend="dashi", **common)
                   if threads is None or r["threads"] == threads]
            if key == "block_elems":
                pts = [r for r in pts if r.get("pq_block_sites", 4096) == 4096]
            else:
                pts = [r for r in pts if r.get("block_elems", 0) == 0]
            values = {}
            for r in pts:
                values[r[key]] = r["t_total_ms"]
            return (max(values.values()) / min(values.values()), len(values)) if len(values) > 1 else None

        d = spread("dense-mt", "dense", hw)
        p = spread("pq-mt", "packed", hw)
        q1 = spread("pq-1t", "packed", key="pq_block_sites")
        qm = spread("pq-mt", "packed", hw, key="pq_block_sites")
        parts = []
        if d:
            parts.append(f"dense-mt T={hw} over {d[1]} executor blocks: max/min {d[0]:.2f}×")
        if p:
            parts.append(f"pq-mt packed T={hw} over {p[1]} executor blocks: {p[0]:.2f}×")
        if q1:
            parts.append(f"pq-1t packed over {q1[1]} codec blocks: {q1[0]:.2f}×")
        if qm:
            parts.append(f"pq-mt packed over {qm[1]} codec blocks: {qm[0]:.2f}×")
        pq_spread = max([x[0] for x in (p, q1, qm) if x] or [1.0])
        dense_spread = d[0] if d else 1.0
        verdict = ("supported" if pq_spread >= 1.25 and pq_spread > dense_spread else
                   "refuted: PQ no more sensitive than dense" if pq_spread <= dense_spread else
                   "weak: under 25% spread")
        lines.append(f"| PQ is sensitive to block size | N={fmt_n(n)}, sign_flip: {'; '.join(parts)} "
                     f"| {verdict} |")

    # The answer.
    n_big = ns[-1]
    pairs = []  # ((kernel, workload, sparsity), PQ time / dense time) at the largest N
    for combo in combos:
        d, p = dense_best(rows, n_big, *combo), pq_best(rows, n_big, *combo)
        if d and p:
            pairs.append((combo, p["t_total_ms"] / d["t_total_ms"]))
    answer = "not enough data"
    if pairs:
        ratios = [r for _, r in pairs]
        cases = [f"{k} {w.split('_')[0]} s={s:g} ({r:.2f}×)" for (k, w, s), r in pairs if r < 1]
        d_ref = dense_best(rows, n_big, REF_KERNEL, REF_WORKLOAD, REF_SPARSITY)
        p_ref = pq_best(rows, n_big, REF_KERNEL, REF_WORKLOAD, REF_SPARSITY)
        detail = ""
        if d_ref and p_ref:
            detail = (f" For sign_flip on {REF_WORKLOAD} at sparsity {REF_SPARSITY}: {label(d_ref)} "
                      f"T={d_ref['threads']} {fmt_ms(d_ref['t_total_ms'])} ms against "
                      f"{label(p_ref)} T={p_ref['threads']} {fmt_ms(p_ref['t_total_ms'])} ms.")
        if not cases:
            answer = (f"**Dense multithreading is better.** At the largest N measured "
                      f"({fmt_n(n_big)}) the best dense run beats the best PQ pipeline in every "
                      f"case; PQ takes {statistics.median(ratios):.2f}× the dense time (median)."
                      f"{detail} PQ pays for itself as a storage format (bits/site), not as a way "
                      f"to run kernels faster on this machine.")
        elif len(cases) == len(pairs):
            answer = (f"**PQ + multithreading helps at large N.** At N={fmt_n(n_big)} the best "
                      f"PQ pipeline beats the best dense run in every case (median "
                      f"{1 / statistics.median(ratios):.2f}× faster).{detail}")
        else:
            answer = (f"**Dense multithreading is the better default; PQ + multithreading helps "
                      f"only at large N and only for some inputs.** At N={fmt_n(n_big)} the "
                      f"packed pipeline (packed in, packed out) beats the best dense run in "
                      f"{len(cases)} of {len(pairs)} cases: {', '.join(cases)} (PQ/dense time); "
                      f"over all cases it takes {statistics.median(ratios):.2f}× the dense time "
                      f"(median).{detail}")
    return lines, answer


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def machine_text(rows, commit) -> list[str]:
    meta = next(((r.get("meta") or {}) for r in rows if r.get("meta")), {})
    cpu = meta.get("cpu", {})
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if not commit:
        try:
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, check=False).stdout.strip()
        except OSError:
            commit = ""
    kib = lambda v: f"{int(v) // 1024} KiB" if v else "?"  # noqa: E731
    load_lines = []
    loads = [(r.get("meta") or {}).get("loadavg_1min") for r in rows]
    loads = [x for x in loads if x is not None]
    shares = []
    for r in rows:
        m = r.get("meta") or {}
        if r.get("threads") == 1 and r.get("mode") in ("dense-1t", "pq-1t") and m.get("real_ms"):
            shares.append(m["cpu_ms_calling_thread"] / m["real_ms"])
    if loads:
        load_lines.append(
            f"- Load while the rows ran: 1-minute load average median {statistics.median(loads):.1f} "
            f"(range {min(loads):.1f}–{max(loads):.1f}) on {cpu.get('hardware_concurrency', '?')} "
            f"hardware threads" + (f"; single-thread rows got {100 * statistics.median(shares):.0f}% "
                                   f"of a core (median CPU time / wall time)" if shares else ""))
    return [
        f"- CPU: {cpu.get('model') or model or 'unknown'}, {cpu.get('hardware_concurrency', '?')} hardware threads; "
        f"instruction sets: {cpu.get('isa', 'not recorded')}"
        f"{'; DASHI_ISA=' + cpu['dashi_isa'] if cpu.get('dashi_isa') not in (None, '', 'unset') else ''}; "
        f"L1d {kib(cpu.get('L1_Data'))}, L2 {kib(cpu.get('L2_Unified'))}, "
        f"L3 {kib(cpu.get('L3_Unified'))} (as reported by the OS); automatic executor block "
        f"{meta.get('auto_block_elems', '?')} sites",
        f"- OS: {platform.system()} {platform.release()}; commit {commit or '?'}; generated "
        f"{datetime.date.today().isoformat()}",
    ] + load_lines


def summary_table(rows, hw) -> list[str]:
    columns = [("dense-1t", dict(mode="dense-1t", backend="dashi")),
               ("dense-mt", dict(mode="dense-mt", backend="dashi")),
               ("peer_serial", dict(backend="peer_serial")),
               ("peer_omp", dict(backend="peer_omp")),
               ("peer_tbb", dict(backend="peer_tbb")),
               ("peer_tbb_static", dict(backend="peer_tbb_static")),
               ("peer_std_par", dict(backend="peer_std_par")),
               ("peer_plain", dict(backend="peer_plain")),
               ("peer_omp_plain", dict(backend="peer_omp_plain")),
               ("peer_omp passive", dict(backend="peer_omp_passive")),
               ("pq-1t packed", dict(mode="pq-1t", pipeline="packed")),
               ("pq-mt packed", dict(mode="pq-mt", pipeline="packed")),
               ("pq-1t roundtrip", dict(mode="pq-1t", pipeline="roundtrip")),
               ("pq-mt roundtrip", dict(mode="pq-mt", pipeline="roundtrip"))]
    common = dict(kernel=REF_KERNEL, workload=REF_WORKLOAD, sparsity=REF_SPARSITY)
    columns = [(name, sel) for name, sel in columns if sweep(rows, **sel, **common)]
    out = [f"Best time per mode (ms per call; {REF_KERNEL}, {REF_WORKLOAD}, sparsity {REF_SPARSITY}; "
           "`@T` = threads of the best row; `*` = the row was noisy). The peers run the shipped "
           "kernel's own inner loop; `peer_plain` and `peer_omp_plain` are the plain loops a user "
           "writes:", "",
           "| N | " + " | ".join(name for name, _ in columns) + " |",
           "|---|" + "---|" * len(columns)]
    for n in sizes(rows):
        cells = []
        for _, sel in columns:
            b = best(sweep(rows, size=n, **sel, **common))
            if not b:
                cells.append("–")
                continue
            mark = "*" if b.get("noisy") else ""
            if b["mode"] in ("dense-mt", "pq-mt") or b["backend"].startswith("peer_omp") or \
                    b["backend"] in ("peer_tbb", "peer_tbb_static", "peer_std_par"):
                cells.append(f"{fmt_ms(b['t_total_ms'])}{mark} @{b['threads']}")
            else:
                cells.append(f"{fmt_ms(b['t_total_ms'])}{mark}")
        out.append(f"| {fmt_n(n)} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def bits_table(rows) -> list[str]:
    out = ["PQ storage (codec block 4096), from the packed rows:", "",
           "| workload | sparsity | bits/site | entropy bound H(s)+s | overhead |",
           "|---|---|---|---|---|"]
    seen = set()
    for r in sorted(select(rows, pipeline="packed"), key=lambda r: (r["workload"], r["sparsity"])):
        key = (r["workload"], r["sparsity"])
        if key in seen or r.get("pq_block_sites", 4096) != 4096 or r.get("bits_per_site") is None:
            continue
        seen.add(key)
        out.append(f"| {r['workload']} | {r['sparsity']:g} | {r['bits_per_site']:.3f} | "
                   f"{(r.get('entropy_bits_per_site') or 0):.3f} | "
                   f"{(r.get('overhead_bits_per_site') or 0):.3f} |")
    out.append("")
    return out


def write_markdown(rows, path, img_rel, inputs, hw, commands, notes, commit, iterated_plot):
    has_sweep = bool(sizes(rows))
    good = trusted(rows)
    lines, answer = hypotheses(good, hw) if sizes(good) else (
        [], "No trusted sweep rows in the inputs (all noisy or none).")
    noisy = [r for r in rows if r.get("noisy")]
    failures = [r for r in rows if r.get("errors") or r.get("mismatch")]
    md = ["# Benchmarks", "",
          "What `dashicore_bench` measures and why: [bench/README.md](../bench/README.md) and "
          "the bench specification. This page is generated by `bench/report/report.py` from "
          "one run on the machine below; numbers from another machine will differ.", "",
          "## The question", "",
          "> Does PQ + multithreading help, or is dense MT better?", "",
          answer, "",
          "## Machine and commands", ""]
    md += machine_text(rows, commit)
    md += ["", "```sh"] + commands + ["```", "",
           f"Inputs: {', '.join(os.path.basename(p) for p in inputs)}; {len(rows)} distinct rows"
           f"{'' if not failures else f', {len(failures)} with an error or mismatch'}. Every row's "
           "output fingerprint was compared with the monolithic reference; a mismatch is an "
           "error, never a number.", "",
           f"Noisy rows: {len(noisy)} of {len(rows)} (their repetitions spread more than the "
           "bench's limit, other processes used more than its share of the CPUs while they ran, "
           "or a single-thread row got less than 85% of a core). They are shown, marked `*` in "
           "the tables, but the verdict and the hypotheses below rest only on the others.", ""]
    md += [note + "\n" for note in notes]
    md += verdict_section()
    md += iterated.section(rows, img_rel, iterated_plot)
    it_rows = [r for r in rows if r.get("suite") == "iterated"]
    it_noisy = [r for r in it_rows if r.get("noisy")]
    if it_noisy:
        md += [f"{len(it_noisy)} of these {len(it_rows)} iterated rows were noisy: the table "
               "shows them, the verdict above takes no figure from them.", ""]
    if has_sweep:
        md += ["## Hypotheses", ""] + lines + [""]
        md += summary_table(rows, hw)
        md += bits_table(rows)
        md += sweep_plots(img_rel, hw)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(md))


def sweep_plots(img_rel, hw) -> list[str]:
    return ["## Plots", "",
           f"![Time vs N]({img_rel}/time_vs_n.png)", "",
           "Time per call against N for each mode. `pq packed` is packed in → kernel → packed "
           "out; `pq roundtrip` is encode → decode → kernel on a dense input.", "",
           f"![Speedup vs threads]({img_rel}/speedup_vs_threads.png)", "",
           "Speedup over dense-1t of the same input against the thread count (threads beyond "
           f"the {hw} hardware threads share cores).", "",
           f"![PQ crossover]({img_rel}/pq_crossover.png)", "",
           "Best PQ packed pipeline over best dense time, per kernel, workload and sparsity: "
           "below 1 PQ is faster.", "",
           f"![Block size]({img_rel}/block_size.png)", "",
           "Executor block size (left) and PQ codec block size (right) at one N.", "",
           f"![PQ phases]({img_rel}/pq_phases.png)", "",
           "Where PQ time goes at the largest N: encode, decode and kernel per call.", ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="JSONL (--jsonl) or Google Benchmark JSON files")
    parser.add_argument("--img-dir", default="docs/img", help="where the PNGs go")
    parser.add_argument("--markdown", default="docs/benchmarks.md", help="the report page")
    parser.add_argument("--command", action="append", default=[],
                        help="a command line shown in the report (repeatable)")
    parser.add_argument("--commit", default="",
                        help="the commit the results were measured at (default: git HEAD)")
    parser.add_argument("--note", action="append", default=[],
                        help="a paragraph about the run shown in the report (repeatable)")
    args = parser.parse_args()

    rows = load(args.inputs)
    if not rows:
        print("report.py: no rows in the inputs", file=sys.stderr)
        return 1
    global REF_KERNEL, REF_WORKLOAD, REF_SPARSITY
    REF_KERNEL, REF_WORKLOAD, REF_SPARSITY = reference_case(rows)
    hw = hardware_threads(rows)
    os.makedirs(args.img_dir, exist_ok=True)
    if sizes(rows):
        plot_time_vs_n(rows, os.path.join(args.img_dir, "time_vs_n.png"), hw)
        plot_speedup_vs_threads(rows, os.path.join(args.img_dir, "speedup_vs_threads.png"))
        plot_crossover(rows, os.path.join(args.img_dir, "pq_crossover.png"))
        plot_block_size(rows, os.path.join(args.img_dir, "block_size.png"))
        plot_pq_phases(rows, os.path.join(args.img_dir, "pq_phases.png"))
    iterated_plot = iterated.plot(rows, os.path.join(args.img_dir, "iterated.png"))
    md_dir = os.path.dirname(os.path.abspath(args.markdown))
    img_rel = os.path.relpath(os.path.abspath(args.img_dir), md_dir)
    write_markdown(rows, args.markdown, img_rel, args.inputs, hw, args.command or [
        "build/release/bench/dashicore_bench --large --jsonl results.jsonl",
        "/usr/bin/python3 bench/report/report.py results.jsonl"], args.note, args.commit,
        iterated_plot)
    print(f"report.py: {len(rows)} rows -> {args.markdown}, {args.img_dir}/*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
