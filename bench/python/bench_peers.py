# SPDX-License-Identifier: Apache-2.0
"""The module against the best numpy a user would write and against scipy.ndimage, and a
fresh result against out= (docs/python.md, "Speed against numpy and scipy").

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python/bench_peers.py [--quick]

Prints Markdown tables of medians (ms per call). scipy is optional (Debian python3-scipy):
its columns are left out when it is not importable. Every peer's result is checked against
the module's before it is timed.
"""

import argparse
import os
import statistics
import time

import numpy as np

import dashicore as dc

try:
    from scipy import ndimage
except ImportError:  # optional peer
    ndimage = None


def median_ms(fn, repeats):
    fn()  # warm: first-touch the outputs, start the pool
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def field(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(-1, 2, size=shape, dtype=np.int8)


# The tuned numpy of each kernel: int8 throughout, preallocated temporaries, no np.where.
class NumpyLeftNeighbor:
    def __init__(self, x):
        self.s = np.empty_like(x)
        self.mask = np.empty(x.shape, dtype=bool)
        self.out = np.empty_like(x)

    def __call__(self, x):
        s, mask, out = self.s, self.mask, self.out
        s[0] = x[0]
        np.add(x[1:], x[:-1], out=s[1:])      # x[i] + x[i-1], in -2..2
        np.not_equal(s, 0, out=mask)          # on support: sign(x + left) is x unless 0
        np.multiply(x, mask, out=out)
        return out


class NumpyMajority:
    def __init__(self, x):
        rows, cols = x.shape
        self.p = np.zeros((rows + 2, cols + 2), dtype=np.int8)
        self.r = np.empty((rows + 2, cols), dtype=np.int8)
        self.s = np.empty_like(x)
        self.mask = np.empty(x.shape, dtype=bool)
        self.out = np.empty_like(x)

    def __call__(self, x):
        p, r, s, out = self.p, self.r, self.s, self.out
        p[1:-1, 1:-1] = x
        np.add(p[:, :-2], p[:, 1:-1], out=r)  # separable 3x3 sum, in -9..9
        np.add(r, p[:, 2:], out=r)
        np.add(r[:-2], r[1:-1], out=s)
        np.add(s, r[2:], out=s)
        np.sign(s, out=s)
        np.not_equal(x, 0, out=self.mask)
        np.multiply(s, self.mask, out=out)
        return out


def scipy_left_neighbor(x):
    s = ndimage.correlate1d(x, np.array([1, 1], dtype=np.int8), axis=0, mode="constant")
    return np.sign(s) * (x != 0)


def scipy_majority(x):
    s = ndimage.correlate(x, np.ones((3, 3), dtype=np.int8), mode="constant")
    return np.sign(s) * (x != 0)


def peers_table(repeats, sizes):
    print("| kernel | N | dashicore | tuned numpy | numpy / dashicore |"
          + (" scipy.ndimage | scipy / dashicore |" if ndimage else ""))
    print("|---|---|---|---|---|" + ("---|---|" if ndimage else ""))
    for name, kernel, shape_of, numpy_peer, scipy_peer in (
        ("LeftNeighbor", dc.kernels.LeftNeighbor(), lambda n: (n,), NumpyLeftNeighbor,
         scipy_left_neighbor),
        ("Majority3x3", dc.kernels.Majority3x3(), lambda n: (int(n**0.5), int(n**0.5)),
         NumpyMajority, scipy_majority),
    ):
        for n in sizes:
            x = field(shape_of(n))
            out = np.empty_like(x)
            expected = dc.run_kernel_parallel(kernel, x)
            tuned = numpy_peer(x)
            assert (tuned(x) == expected).all(), name
            ours = median_ms(lambda: dc.run_kernel_parallel(kernel, x, out=out), repeats)
            theirs = median_ms(lambda: tuned(x), repeats)
            row = f"| {name} | {n:.0e} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.1f}x |"
            if ndimage:
                assert (scipy_peer(x) == expected).all(), name
                sp = median_ms(lambda: scipy_peer(x), repeats)
                row += f" {sp:.2f} | {sp / ours:.1f}x |"
            print(row, flush=True)


def fresh_table(repeats, sizes):
    print("| N | dashicore fresh | dashicore out= | fresh / out= | np.negative fresh |"
          " np.negative out= |")
    print("|---|---|---|---|---|---|")
    kernel = dc.kernels.SignFlip()
    for n in sizes:
        x = field(n)
        out = np.empty_like(x)
        fresh = median_ms(lambda: dc.run_kernel_parallel(kernel, x), repeats)
        into = median_ms(lambda: dc.run_kernel_parallel(kernel, x, out=out), repeats)
        np_fresh = median_ms(lambda: np.negative(x), repeats)
        np_into = median_ms(lambda: np.negative(x, out=out), repeats)
        print(f"| {n:.0e} | {fresh:.1f} | {into:.1f} | {fresh / into:.2f} | {np_fresh:.1f} |"
              f" {np_into:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 11
    print(f"dashicore {dc.__version__}, numpy {np.__version__}, threads {dc.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}\n")
    peers_table(repeats, [10**4] if args.quick else [10**6, 10**7])
    print()
    fresh_table(repeats, [10**5] if args.quick else [10**7, 10**8, 3 * 10**8])


if __name__ == "__main__":
    main()
