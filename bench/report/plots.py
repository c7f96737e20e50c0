# SPDX-License-Identifier: Apache-2.0
"""The plots of the report. Each draws only panels that have data and puts every line of
every panel in the figure's one legend."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

CAPTIONS = [
    ("time_vs_n", "Time per call against N for each family (mt rows with all {hw} hardware threads). "
                  "`pq packed` is packed in → kernel → packed out; `pq roundtrip` is encode → decode → "
                  "kernel on a dense input."),
    ("speedup_vs_threads", "Speedup over dense-1t of the same input against the thread count "
                           "(threads beyond the {hw} hardware threads share cores)."),
    ("pq_crossover", "Best PQ packed pipeline over best dense time, per kernel, workload and "
                     "sparsity: below 1 PQ is faster."),
    ("block_size", "Executor block size and PQ codec block size at N = 1e6."),
    ("pq_phases", "Where PQ time goes at the largest N: encode, decode and kernel per call."),
]


_COLORS: dict = {}


def _color(label):
    """One colour per label across every panel of a plot, so one legend serves them all."""
    return _COLORS.setdefault(label, plt.get_cmap("tab20")(len(_COLORS) % 20))


def _save(fig, axes, path, title):
    handles = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    if handles:
        fig.legend(handles.values(), handles.keys(), fontsize=7, loc="center left",
                   bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def _panels(path, panels, draw, ylabel, title):
    """One figure with an axis per (key, payload) panel, `draw(ax, key, payload)` on each."""
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False,
                             layout="constrained")
    axes = list(axes[0])
    for ax, (key, payload) in zip(axes, panels):
        draw(ax, key, payload)
    axes[0].set_ylabel(ylabel)
    _save(fig, axes, path, title)
    return True


def _log_axes(ax, title, xlabel, base=10, ylog=True):
    ax.set_xscale("log", base=base)
    if ylog:
        ax.set_yscale("log")
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.grid(True, which="major", alpha=0.3)


def time_vs_n(rows, path, hw, r):
    k_ref, w, s = r.REF
    mt = lambda f: "_mt" in f or (f.startswith("peer_") and f not in ("peer_serial", "peer_plain"))  # noqa: E731
    kernels = sorted({x["kernel"] for x in r.sweep(rows, workload=w, sparsity=s)
                      if x["family"] in dict(r.SERIES)})
    panels = [(k, [(label, sorted(r.sweep(rows, family=f, kernel=k, workload=w, sparsity=s,
                                          **({"threads": hw} if mt(f) else {})),
                                  key=lambda x: x["size"])) for f, label in r.SERIES]) for k in kernels]
    panels = [(k, [(label, pts) for label, pts in series if len(pts) > 1]) for k, series in panels]

    def draw(ax, kernel, series):
        for label, pts in series:
            ax.plot([p["size"] for p in pts], [p["ms"] for p in pts], "--" if "peer" in label else "-",
                    marker="o", ms=3, color=_color(label), label=label)
        _log_axes(ax, kernel, "N (sites)")
    return _panels(path, [p for p in panels if p[1]], draw, "time per call (ms)",
                   f"Time vs N ({w}, sparsity {s}; mt rows with {hw} threads)")


def speedup_vs_threads(rows, path, hw, r):
    panels = []
    for family in ("dense_mt", "peer_omp", "pq_mt_packed"):
        lines = []
        for n in sorted({x["size"] for x in r.ref_case(rows, family=family)}):
            ref = r.best(r.ref_case(rows, family="dense_1t", size=n), trusted_only=False)
            pts = sorted(r.ref_case(rows, family=family, size=n), key=lambda x: x["threads"])
            if ref and len(pts) > 1:
                lines.append((f"N={r.fmt_n(n)}", [p["threads"] for p in pts],
                              [ref["ms"] / p["ms"] for p in pts]))
        if lines:
            panels.append((family, lines))

    def draw(ax, family, lines):
        for label, xs, ys in lines:
            ax.plot(xs, ys, marker="o", ms=3, color=_color(label), label=label)
        ax.axhline(1.0, color="black", lw=0.8, ls=":")
        _log_axes(ax, family, "threads", base=2)
    return _panels(path, panels, draw, "speedup over dense-1t", f"Speedup vs threads ({', '.join(map(str, r.REF))})")


def pq_crossover(rows, path, hw, r):
    ns = r.sizes(rows)
    panels = {}
    for k, w, s in r.combos(rows):
        xs, ys = [], []
        for n in ns:
            d, p = r.dense_best(rows, n, k, w, s), r.pq_best(rows, n, k, w, s)
            if d and p:
                xs.append(n)
                ys.append(p["ms"] / d["ms"])
        if xs:
            panels.setdefault(k, []).append((f"{w.split('_')[0]} s={s:g}", w, xs, ys))

    def draw(ax, kernel, lines):
        for label, w, xs, ys in lines:
            ax.plot(xs, ys, "-" if w == "random_sparse" else "--", marker="o", ms=3, color=_color(label),
                    label=label)
        ax.axhline(1.0, color="black", lw=0.8)
        _log_axes(ax, kernel, "N (sites)")
    return _panels(path, sorted(panels.items()), draw, "best PQ packed / best dense (time)",
                   "PQ vs dense crossover (below 1: PQ faster)")


def block_size(rows, path, hw, r):
    panels = []
    for key, families, title in (("block", ("dense_mt", "pq_mt_packed", "pq_mt_roundtrip"), "executor block_elems"),
                                 ("pq_block", ("pq_1t_packed", "pq_mt_packed", "pq_1t_roundtrip", "pq_mt_roundtrip"),
                                  "PQ codec block_sites")):
        lines = []
        for family in families:
            for t in sorted({1, hw}):
                pts = {x[key]: x["ms"] for x in r.select(rows, family=family, kernel=r.REF[0], workload=r.REF[1],
                                                         sparsity=r.REF[2], size=1000000, threads=t)
                       if (x["pq_block"] == 4096 if key == "block" else x["block"] == 0)}
                if len(pts) > 1:
                    lines.append((f"{family} T={t}", sorted(pts.items())))
        if lines:
            panels.append((title, lines))

    def draw(ax, title, lines):
        ticks = sorted({b for _, pts in lines for b, _ in pts})
        for label, pts in lines:
            ax.plot([ticks.index(b) for b, _ in pts], [ms for _, ms in pts], marker="o", ms=3,
                    color=_color(label), label=label)
        ax.set_xticks(range(len(ticks)), ["auto" if b == 0 else str(b) for b in ticks])
        ax.set_yscale("log")
        ax.set_xlabel(title)
        ax.grid(True, alpha=0.3)
    return _panels(path, panels, draw, "time per call (ms)", f"Block-size sensitivity ({r.REF[0]}, N=1e6)")


def pq_phases(rows, path, hw, r):
    n = max((x["size"] for x in r.ref_case(rows, family="pq_mt_roundtrip")), default=None)
    if n is None:
        return False
    bars = [(f"{'rt' if 'roundtrip' in f else 'packed'}\n{f.split('_')[1]} T={x['threads']}", x)
            for f in ("pq_1t_roundtrip", "pq_mt_roundtrip", "pq_1t_packed", "pq_mt_packed")
            for x in sorted(r.ref_case(rows, family=f, size=n), key=lambda x: x["threads"])]
    fig, axes = plt.subplots(figsize=(max(5.0, 0.55 * len(bars)), 3.8), layout="constrained")
    axes = [axes]
    ax, xs, bottom = axes[0], range(len(bars)), [0.0] * len(bars)
    for key, color, name in (("t_encode_ms", "#ff7f0e", "encode"), ("t_decode_ms", "#1f77b4", "decode"),
                             ("t_kernel_ms", "#2ca02c", "kernel")):
        values = [x.get(key) or 0.0 for _, x in bars]
        ax.bar(xs, values, bottom=bottom, color=color, label=name)
        bottom = [a + b for a, b in zip(bottom, values)]
    fused = [0.0 if x.get("t_kernel_ms") is not None else x["ms"] for _, x in bars]
    if any(fused):
        ax.bar(xs, fused, color="#d62728", hatch="//", label="packed pipeline (fused per block)")
    dense = r.best(r.ref_case(rows, family="dense_mt", size=n), trusted_only=False)
    if dense:
        ax.axhline(dense["ms"], color="black", ls="--", lw=0.8, label=f"best dense-mt (T={dense['threads']})")
    ax.set_xticks(list(xs), [b[0] for b in bars], fontsize=7)
    ax.set_ylabel("ms per call")
    ax.grid(True, axis="y", alpha=0.3)
    _save(fig, axes, path, f"PQ time by phase, N={r.fmt_n(n)} ({r.REF[0]}, sparsity {r.REF[2]})")
    return True


def iterated(rows, path, hw, r):
    table = r.iterated_speedups(rows)
    if not table:
        return False
    kernels = sorted({k[0] for k in table})
    most, deepest = max(k[3] for k in table), max(s for v in table.values() for s in v)
    fig, grid = plt.subplots(2, len(kernels), figsize=(4.2 * len(kernels), 7.0), squeeze=False,
                             layout="constrained")
    for col, kernel in enumerate(kernels):
        top, bottom = grid[0][col], grid[1][col]
        for size, threads in sorted({(k[1], k[2]) for k in table if k[0] == kernel}):
            style, label = "-" if threads > 1 else "--", f"N={r.fmt_n(size)}, T={threads}"
            at_most = table.get((kernel, size, threads, most), {})
            if at_most:
                top.plot(sorted(at_most), [at_most[x] for x in sorted(at_most)], style, marker="o",
                         color=_color(label), label=label)
            steps = sorted(k[3] for k in table if k[:3] == (kernel, size, threads))
            pts = [(s, table[(kernel, size, threads, s)].get(min(deepest, s))) for s in steps]
            pts = [p for p in pts if p[1] is not None]
            if len(pts) > 1:
                bottom.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", color=_color(label),
                            label=label)
        for ax, title, xlabel in ((top, f"{kernel}: {most} steps", "steps_per_sync"),
                                  (bottom, f"{kernel}: steps_per_sync = min({deepest}, steps)", "steps")):
            ax.axhline(1.0, color="black", lw=0.8)
            _log_axes(ax, title, xlabel, base=2, ylog=False)
            ax.set_ylabel("speedup over the step loop")
    axes = [ax for row in grid for ax in row if ax.lines[1:]]
    for ax in (ax for row in grid for ax in row if not ax.lines[1:]):
        ax.set_visible(False)  # no empty panels (one point per line is not a line)
    _save(fig, axes, path, "run_kernel_iterated (temporal blocking) vs the naive step loop")
    return True


def draw(rows, img_dir, hw, report) -> set:
    """Draws every plot that has data; returns the names drawn."""
    drawn = set()
    for name, fn in (("time_vs_n", time_vs_n), ("speedup_vs_threads", speedup_vs_threads),
                     ("pq_crossover", pq_crossover), ("block_size", block_size), ("pq_phases", pq_phases),
                     ("iterated", iterated)):
        path = os.path.join(img_dir, f"{name}.png")
        _COLORS.clear()
        if fn(rows, path, hw, report):
            drawn.add(name)
        elif os.path.exists(path):
            os.remove(path)  # a stale plot of an earlier run would be shown as this one's
    return drawn
