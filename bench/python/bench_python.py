#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Python module against the C++ call on the same inputs, against the numpy expression a
Python user writes for each kernel, and against an upstream-style ``Kernel.apply`` call;
plus the cost per block of a PythonKernel. One JSONL row per measurement (the schema of the
bench's former JSONL files, which bench/python/results/ keeps), ``backend`` naming what ran:

  python        dashicore.run_kernel_parallel(kernel, x, out=out)   (mode "module_out")
                the same with check_contract=False, which also skips the input
                value check                               (mode "module_out_unchecked")
                dashicore.run_kernel_parallel(kernel, x)            (mode "module")
  dashi         the same C++ call a C++ user writes (run_kernel_parallel into the same
                buffer), timed in C++ on the same arrays             (mode "cpp_call")
  peer_numpy    the numpy expression                                 (mode "numpy")
  peer_upstream an upstream-style kernel object: Carrier in, kernel.apply, signed values out
                                                                     (mode "upstream_apply")

    PYTHONPATH=build/py/python /usr/bin/python3 bench/python/bench_python.py \\
        --jsonl bench/python/results.jsonl [--quick]
"""

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

import dashicore as dc
from dashicore._carrier import BlockCarrier

# ---------------------------------------------------------------------------------------
# What a numpy user writes for each kernel (int8 throughout: every sum fits).
# ---------------------------------------------------------------------------------------


def np_sign_flip(x):
    return np.negative(x)


def np_left_neighbor(x):
    left = np.empty_like(x)
    left[:1] = 0
    left[1:] = x[:-1]
    return np.where(x != 0, np.sign(x + left), 0).astype(np.int8)


def np_majority(x):
    p = np.pad(x, 1)
    rows, cols = x.shape
    s = p[0:rows, 0:cols].copy()
    for i in range(3):
        for j in range(3):
            if i or j:
                s += p[i : i + rows, j : j + cols]
    return np.where(x != 0, np.sign(s), 0).astype(np.int8)


def np_rule1d(table):
    def run(x):
        p = np.pad(x, 1).astype(np.intp)
        return table[9 * p[:-2] + 3 * p[1:-1] + p[2:] + 13]

    return run


def np_totalistic(table):
    flat = table.reshape(-1)

    def run(x):
        p = np.pad(x, 1)
        rows, cols = x.shape
        s = np.zeros(x.shape, dtype=np.intp)
        for i in range(3):
            for j in range(3):
                if (i, j) != (1, 1):  # the 8 neighbours
                    s += p[i : i + rows, j : j + cols]
        return flat[(x.astype(np.intp) + 1) * 17 + s + 8]

    return run


class UpstreamStyle:
    """An upstream-style kernel object: apply(carrier) -> carrier, over numpy."""

    def __init__(self, expression):
        self.expression = expression

    def apply(self, state, ctx=None):
        out = self.expression(state.sign)
        return BlockCarrier(support=out != 0, sign=out)


def upstream_call(kernel):
    def run(x):
        return kernel.apply(BlockCarrier(support=x != 0, sign=x)).to_signed()

    return run


def life_like_table(seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(-1, 2, size=(3, 17)).astype(np.int8)
    table[1] = 0
    return table


def rule1d_table(seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(-1, 2, size=27).astype(np.int8)
    table[(np.arange(27) // 3) % 3 == 1] = 0
    return table


def cases():
    rule = rule1d_table(3)
    total = life_like_table(4)
    return [
        ("sign_flip", 1, dc.kernels.SignFlip(), np_sign_flip),
        ("left_neighbor", 1, dc.kernels.LeftNeighbor(), np_left_neighbor),
        ("rule1d_r1", 1, dc.kernels.Rule1D(rule, 1), np_rule1d(rule)),
        ("majority3x3", 2, dc.kernels.Majority3x3(), np_majority),
        ("totalistic2d", 2, dc.kernels.Totalistic2D(total), np_totalistic(total)),
    ]


# ---------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------


def field(size, rank, sparsity, seed):
    shape = (size,) if rank == 1 else (int(round(size**0.5)),) * 2
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
    return np.where(rng.random(shape) >= sparsity, signs, 0).astype(np.int8)


def per_call(fn, calls, rounds):
    """Median over rounds of the mean seconds per call."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times), times


def row(common, mode, backend, seconds, all_times, hash_out, hash_ref, extra=None):
    r = dict(common)
    n = r["size"]
    r.update(
        mode=mode,
        backend=backend,
        t_kernel_ms=seconds * 1e3,
        t_total_ms=seconds * 1e3,
        sites_per_s=n / seconds if seconds > 0 else None,
        hash_out=f"{hash_out:016x}",
        hash_ref=f"{hash_ref:016x}",
        match=hash_out == hash_ref,
    )
    r["meta"] = dict(r["meta"], rounds_ms=[t * 1e3 for t in all_times], **(extra or {}))
    return r


def bench(args):
    sizes = [10_000, 100_000, 1_000_000] if args.quick else [10_000, 100_000, 1_000_000,
                                                             10_000_000]
    threads = args.threads or dc._core._pool_size()
    rows = []
    meta = {
        "dashicore": dc.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "rule_isa": dc._core._rule_isa(),
        "pool_size": dc._core._pool_size(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    for name, rank, kernel, expression in cases():
        for size in sizes:
            x = field(size, rank, args.sparsity, seed=size)
            n = x.size
            out = np.empty_like(x)
            calls = max(1, int(args.budget / n))
            common = {
                "suite": "python", "size": n, "sparsity": args.sparsity, "batch_count": 1,
                "block_elems": 0, "device": "cpu", "run": 0, "memory_mode": "dense",
                "t_encode_ms": 0.0, "t_decode_ms": 0.0, "threads": threads, "kernel": name,
                "workload": "random_sparse", "steps": 1, "steps_per_sync": 1,
                "bits_per_site": 8.0, "meta": dict(meta, shape=list(x.shape), calls=calls),
            }
            reference = expression(x)
            ref_hash = dc.fingerprint(np.ascontiguousarray(reference, dtype=np.int8))
            # Warm up the pool, the caches and the scratch buffers.
            dc.run_kernel_parallel(kernel, x, out=out, num_workers=threads)
            dc._core._time_cpp_calls(kernel, x, out, 1, threads)
            # The module's calls and the C++ call alternate round by round, so that a change
            # of machine load between them does not bias the ratio.
            r_out, r_unchecked, r_new, cpp = [], [], [], []
            for _ in range(args.rounds):
                r_out.append(per_call(lambda: dc.run_kernel_parallel(
                    kernel, x, out=out, num_workers=threads), calls, 1)[0])
                cpp.append(dc._core._time_cpp_calls(kernel, x, out, calls, threads) / calls)
                r_unchecked.append(per_call(lambda: dc.run_kernel_parallel(
                    kernel, x, out=out, num_workers=threads, check_contract=False), calls, 1)[0])
                r_new.append(per_call(lambda: dc.run_kernel_parallel(
                    kernel, x, num_workers=threads), calls, 1)[0])
            t_out, t_unchecked, t_new, t_cpp = (statistics.median(v) for v in
                                                (r_out, r_unchecked, r_new, cpp))
            dc.run_kernel_parallel(kernel, x, out=out, num_workers=threads)
            rows.append(row(common, "module_out", "python", t_out, r_out, dc.fingerprint(out),
                            ref_hash))
            dc.run_kernel_parallel(kernel, x, out=out, num_workers=threads, check_contract=False)
            rows.append(row(common, "module_out_unchecked", "python", t_unchecked, r_unchecked,
                            dc.fingerprint(out), ref_hash))
            rows.append(row(common, "module", "python", t_new, r_new,
                            dc.fingerprint(dc.run_kernel_parallel(kernel, x)), ref_hash))
            dc._core._time_cpp_calls(kernel, x, out, 1, threads)
            rows.append(row(common, "cpp_call", "dashi", t_cpp, cpp, dc.fingerprint(out),
                            ref_hash))
            np_calls = max(1, calls // 20) if n <= 100_000 else max(1, calls // 2)
            t_np, r_np = per_call(lambda: expression(x), np_calls, args.rounds)
            rows.append(row(common, "numpy", "peer_numpy", t_np, r_np, ref_hash, ref_hash))
            up = upstream_call(UpstreamStyle(expression))
            t_up, r_up = per_call(lambda: up(x), np_calls, args.rounds)
            rows.append(row(common, "upstream_apply", "peer_upstream", t_up, r_up,
                            dc.fingerprint(up(x)), ref_hash))
            print(f"{name:14s} N={n:>9d}  module_out {t_out * 1e6:10.2f} us  unchecked "
                  f"{t_unchecked * 1e6:10.2f} us  module "
                  f"{t_new * 1e6:10.2f} us  C++ {t_cpp * 1e6:10.2f} us  numpy "
                  f"{t_np * 1e6:10.2f} us  upstream {t_up * 1e6:10.2f} us", flush=True)
    rows += python_kernel_rows(args, meta, threads)
    return rows


def python_kernel_rows(args, meta, threads):
    """Cost per block of a PythonKernel: an identity function over 1000-site blocks, against
    the C++ SignFlip on the same partition."""
    rows = []
    x = field(1_000_000, 1, args.sparsity, seed=1)
    out = np.empty_like(x)
    block = 1000
    blocks = x.size // block
    identity = dc.PythonKernel(lambda b: b)
    for workers in sorted({1, threads}):
        common = {
            "suite": "python", "size": x.size, "sparsity": args.sparsity, "batch_count": 1,
            "block_elems": block, "device": "cpu", "run": 0, "memory_mode": "dense",
            "t_encode_ms": 0.0, "t_decode_ms": 0.0, "threads": workers,
            "kernel": "python_identity", "workload": "random_sparse", "steps": 1,
            "steps_per_sync": 1, "bits_per_site": 8.0, "meta": dict(meta, blocks=blocks),
        }
        t_py, r_py = per_call(lambda: dc.run_kernel_parallel(
            identity, x, out=out, num_workers=workers, block_elems=block), 3, args.rounds)
        fp = dc.fingerprint(out)
        t_cpp, _ = per_call(lambda: dc.run_kernel_parallel(
            dc.kernels.SignFlip(), x, out=out, num_workers=workers, block_elems=block), 3,
            args.rounds)
        per_block = (t_py - t_cpp) / blocks
        rows.append(row(common, "python_kernel", "python", t_py, r_py, fp, dc.fingerprint(x),
                        {"us_per_block": per_block * 1e6}))
        print(f"PythonKernel   {blocks} blocks of {block} sites, {workers} workers: "
              f"{t_py * 1e3:.2f} ms per call, {per_block * 1e6:.2f} us per block", flush=True)
    return rows


def summary(rows):
    by = {(r["kernel"], r["size"], r["mode"]): r for r in rows}
    sizes = sorted({r["size"] for r in rows if r["kernel"] == "sign_flip"})
    lines = ["", "goal figures (median per call):"]
    small, large = sizes[0], sizes[-1]
    for kernel in ("sign_flip", "left_neighbor", "rule1d_r1", "majority3x3", "totalistic2d"):
        keys = [k for k in by if k[0] == kernel]
        ks = sorted({k[1] for k in keys})
        s, l = ks[0], ks[-1]
        over = by[(kernel, s, "module_out")]["t_kernel_ms"] - by[(kernel, s, "cpp_call")][
            "t_kernel_ms"]
        ratio = by[(kernel, l, "module_out")]["t_kernel_ms"] / by[(kernel, l, "cpp_call")][
            "t_kernel_ms"]
        speedup = by[(kernel, l, "numpy")]["t_kernel_ms"] / by[(kernel, l, "module_out")][
            "t_kernel_ms"]
        unchecked = by[(kernel, l, "module_out_unchecked")]["t_kernel_ms"] / by[
            (kernel, l, "cpp_call")]["t_kernel_ms"]
        lines.append(f"  {kernel:14s} overhead at N={s}: {over * 1e3:6.2f} us; at N={l}: "
                     f"module/C++ = {ratio:5.3f} (unchecked {unchecked:5.3f}); "
                     f"numpy/module = {speedup:6.1f}x")
    del small, large
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jsonl", help="append rows to this file")
    parser.add_argument("--quick", action="store_true", help="N up to 1e6 only")
    parser.add_argument("--threads", type=int, default=0, help="0: the pool's size")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--budget", type=float, default=4e6,
                        help="sites per round: calls = budget / N")
    args = parser.parse_args()
    rows = bench(args)
    bad = [r for r in rows if not r["match"]]
    print(summary(rows))
    if args.jsonl:
        with open(args.jsonl, "a", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, sort_keys=True) + "\n")
    if bad:
        raise SystemExit(f"{len(bad)} rows do not match the numpy reference: {bad[0]}")


if __name__ == "__main__":
    main()
