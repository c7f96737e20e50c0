# SPDX-License-Identifier: Apache-2.0
"""The iterated suite of the report: where temporal blocking pays.

Rows come from `dashicore_bench --mode iterated` (suite "iterated"): per kernel, N, threads
and steps, a `step_loop` row (the naive loop of run_kernel_parallel calls between two
preallocated buffers) and `iterated` rows (one run_kernel_iterated call into the same two
buffers, temporal blocking of steps_per_sync steps).
"""

from __future__ import annotations

import math
from collections import defaultdict

import matplotlib.pyplot as plt
from matplotlib import ticker


def _good(row: dict) -> bool:
    return (row.get("suite") == "iterated" and not row.get("error") and not row.get("mismatch")
            and bool(row.get("t_total_ms")))


def _fmt_n(n: int) -> str:
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"1e{exponent}" if 10 ** exponent == n else str(n)


def speedups(rows) -> dict:
    """{(kernel, size, threads, steps): {steps_per_sync: step loop time / iterated time}}."""
    loops, runs = {}, defaultdict(dict)
    for r in filter(_good, rows):
        key = (r["kernel"], r["size"], r["threads"], r["steps"])
        if r["backend"] == "step_loop":
            loops[key] = r["t_total_ms"]
        else:
            runs[key][r["steps_per_sync"]] = r["t_total_ms"]
    return {key: {s: loops[key] / t for s, t in by_sync.items()}
            for key, by_sync in runs.items() if key in loops}


def plot(rows, path) -> bool:
    """Speedup over the step loop against steps_per_sync (at the most steps) and against
    steps (at the deepest blocking), one panel per kernel. False when there is no data."""
    table = speedups(rows)
    if not table:
        return False
    kernels = sorted({k[0] for k in table})
    most_steps = max(k[3] for k in table)
    deepest = max(s for v in table.values() for s in v)
    fig, axes = plt.subplots(2, len(kernels), figsize=(4.2 * len(kernels), 7.0), squeeze=False)
    for col, kernel in enumerate(kernels):
        top, bottom = axes[0][col], axes[1][col]
        keys = sorted({(k[1], k[2]) for k in table if k[0] == kernel})
        for size, threads in keys:
            style = "-" if threads > 1 else "--"
            name = f"N={_fmt_n(size)}, T={threads}"
            at_most = table.get((kernel, size, threads, most_steps), {})
            if at_most:
                xs = sorted(at_most)
                top.plot(xs, [at_most[x] for x in xs], style, marker="o", label=name)
            steps = sorted(k[3] for k in table if k[:3] == (kernel, size, threads))
            ys = [table[(kernel, size, threads, s)].get(min(deepest, s)) for s in steps]
            points = [(s, y) for s, y in zip(steps, ys) if y is not None]
            if points:
                bottom.plot([p[0] for p in points], [p[1] for p in points], style, marker="o",
                            label=name)
        for ax in (top, bottom):
            ax.axhline(1.0, color="black", lw=0.8)
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_locator(ticker.LogLocator(base=2))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.grid(True, which="major", alpha=0.3)
            ax.set_ylabel("speedup over the step loop")
        top.set_title(f"{kernel}: {most_steps} steps", fontsize=10)
        top.set_xlabel("steps_per_sync")
        bottom.set_title(f"{kernel}: steps_per_sync = min({deepest}, steps)", fontsize=10)
        bottom.set_xlabel("steps")
        top.legend(fontsize=7)
    fig.suptitle("run_kernel_iterated (temporal blocking) vs the naive step loop", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def section(rows, img_rel: str, plotted: bool) -> list[str]:
    """The markdown section of the iterated suite ([] when it did not run)."""
    table = speedups(rows)
    if not table:
        return []
    most_steps = max(k[3] for k in table)
    out = ["## Iterated kernels: temporal blocking", "",
           "`run_kernel_iterated(pool, kernel, input, steps, output, spare, {.steps_per_sync = "
           "S})` against the naive loop of `steps` `run_kernel_parallel` calls ping-ponging "
           "between the same two preallocated buffers (random_sparse, sparsity 0.5; "
           "majority3x3 on N/1000 × 1000 fields, the others 1-D). Both outputs are compared "
           "with `steps` monolithic applications. Speedup = step loop time / iterated time.", "",
           f"| kernel | N | threads | step loop, {most_steps} steps (ms) | best S | "
           f"iterated (ms) | speedup | S = 1 |", "|---|---|---|---|---|---|---|---|"]
    loop_time = {}
    for r in filter(_good, rows):
        if r["backend"] == "step_loop":
            loop_time[(r["kernel"], r["size"], r["threads"], r["steps"])] = r["t_total_ms"]
    for key in sorted(k for k in table if k[3] == most_steps):
        kernel, size, threads, _ = key
        by_sync = table[key]
        best_sync = max(by_sync, key=by_sync.get)
        loop = loop_time[key]
        out.append(f"| {kernel} | {_fmt_n(size)} | {threads} | {loop:.3g} | {best_sync} | "
                   f"{loop / by_sync[best_sync]:.3g} | {by_sync[best_sync]:.2f}× | "
                   f"{by_sync.get(1, float('nan')):.2f}× |")
    best_key = max(table, key=lambda k: max(table[k].values()))
    best_sync = max(table[best_key], key=table[best_key].get)
    pays = sorted(k[:3] for k, v in table.items() if k[3] == most_steps and max(v.values()) >= 1.1)
    loses = sorted(k[:3] for k, v in table.items() if k[3] == most_steps and max(v.values()) < 0.95)
    out += ["",
            f"Best speedup over the step loop: **{table[best_key][best_sync]:.2f}×** "
            f"({best_key[0]}, N={_fmt_n(best_key[1])}, {best_key[2]} thread(s), "
            f"{best_key[3]} steps, steps_per_sync {best_sync}).", "",
            "Where it pays (≥ 1.1× at the best S, " f"{most_steps} steps): "
            + (", ".join(f"{k} N={_fmt_n(n)} T={t}" for k, n, t in pays) or "nowhere")
            + ". Where it costs (< 0.95× at every S): "
            + (", ".join(f"{k} N={_fmt_n(n)} T={t}" for k, n, t in loses) or "nowhere") + ".", ""]
    if plotted:
        out += [f"![Temporal blocking]({img_rel}/iterated.png)", "",
                "Top: speedup against steps_per_sync at the most steps. Bottom: speedup against "
                "the number of steps at the deepest blocking. Solid lines: all hardware "
                "threads; dashed: one thread.", ""]
    return out
