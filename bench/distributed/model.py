#!/usr/bin/python3
"""Performance model of the distributed executor (docs/distributed.md), printed as tables.

Per synchronisation of s steps, per rank (a 2-D field of `rows` rows of W sites, radius h):
  compute   s * n * W / R                  n = rows / P, R = one rank's rate (sites/s)
  halo      alpha + s * h * W / beta       both neighbours at once, hidden behind the
                                           interior blocks when there are any
  agree     2 * alpha * ceil(log2 P)       the per-synchronisation failure agreement
                                           (an all-gather of 16 bytes), never hidden
Usage: model.py [R_sites_per_s alpha_s beta_bytes_per_s]
"""
import math
import sys

R = float(sys.argv[1]) if len(sys.argv) > 1 else 2.2e9
ALPHA = float(sys.argv[2]) if len(sys.argv) > 2 else 2e-6
BETA = float(sys.argv[3]) if len(sys.argv) > 3 else 12.5e9
BLOCK_BYTES = 128 * 1024  # automatic block size of the reference machine (L2 / 4)


def step_time(rows, width, ranks, s, h=1):
    n = rows / ranks
    compute = s * n * width / R
    halo = ALPHA + s * h * width / BETA if ranks > 1 else 0.0
    agree = 2 * ALPHA * math.ceil(math.log2(ranks)) if ranks > 1 else 0.0
    block_rows = max(1, BLOCK_BYTES // width)
    interior = max(0.0, n - 2 * block_rows) * s * width / R
    exposed = max(0.0, halo - interior)
    return (compute + exposed + agree) / s, compute / s, halo / s, agree / s


def table(title, rows, width, weak=False):
    print(f"\n{title}")
    print("| P | s | compute/step | halo/step | hidden | agree/step | total/step | efficiency |")
    print("|---|---|---|---|---|---|---|---|")
    base = step_time(rows, width, 1, 1)[0]
    for ranks in (1, 2, 4, 8, 16, 32, 64):
        for s in (1, 8):
            r = rows * ranks if weak else rows
            if r / ranks < s:
                continue
            total, compute, halo, agree = step_time(r, width, ranks, s)
            block_rows = max(1, BLOCK_BYTES // width)
            hidden = "yes" if r / ranks > 2 * block_rows and halo * s <= (r / ranks - 2 * block_rows) * s * width / R else "no"
            ideal = base if weak else base / ranks
            print(f"| {ranks} | {s} | {compute*1e3:.3f} ms | {halo*1e6:.1f} µs | {hidden if ranks > 1 else '-'} "
                  f"| {agree*1e6:.1f} µs | {total*1e3:.3f} ms | {100*ideal/total:.1f}% |")


if __name__ == "__main__":
    print(f"R = {R:.3g} sites/s per rank, alpha = {ALPHA*1e6:.2f} µs, beta = {BETA/1e9:.2f} GB/s")
    table("Strong scaling, 4096 x 4096 (16 Mi sites)", 4096, 4096)
    table("Strong scaling, 32768 x 32768 (1 Gi sites)", 32768, 32768)
    table("Weak scaling, 1024 x 4096 per rank (4 Mi sites per rank)", 1024, 4096, weak=True)
