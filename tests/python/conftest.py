# SPDX-License-Identifier: Apache-2.0
"""Shared helpers of the Python tests: seeded fields, the numpy references and an
upstream-style kernel (fixture)."""

import os
import pathlib

import numpy as np
import pytest

SOURCE_DIR = pathlib.Path(
    os.environ.get("DASHICORE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2])
)
DATA_DIR = pathlib.Path(os.environ.get("DASHICORE_TEST_DATA_DIR", SOURCE_DIR / "tests" / "data"))


def random_field(shape, sparsity=0.3, seed=0):
    """int8 field of ``shape`` with about ``sparsity`` zeros and random signs."""
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
    keep = rng.random(shape) >= sparsity
    return np.where(keep, signs, 0).astype(np.int8)


def ref_sign_flip(x):
    return (-x).astype(np.int8)


def ref_clamp(x):
    return np.sign(x).astype(np.int8)


def ref_clamp_nonnegative(x):
    return np.where(x < 0, 0, x).astype(np.int8)


def ref_left_neighbor(x):
    left = np.concatenate([np.zeros_like(x[:1]), x[:-1]], axis=0)
    return np.where(x != 0, np.sign(x.astype(int) + left), 0).astype(np.int8)


def box_sum(x):
    """3x3 sums with zeros beyond the edges (2-D)."""
    p = np.pad(x.astype(int), 1)
    rows, cols = x.shape
    return sum(p[i : i + rows, j : j + cols] for i in range(3) for j in range(3))


def ref_majority(x):
    return np.where(x != 0, np.sign(box_sum(x)), 0).astype(np.int8)


def ref_rule1d(table, radius, x):
    table = np.asarray(table, dtype=np.int8)
    n = x.shape[0]
    pad = [(radius, radius)] + [(0, 0)] * (x.ndim - 1)
    p = np.pad(x.astype(int), pad)
    index = np.zeros(x.shape, dtype=int)
    for k in range(2 * radius + 1):
        index = index * 3 + (p[k : k + n] + 1)
    return table[index]


def ref_totalistic(table, x):
    table = np.asarray(table, dtype=np.int8).reshape(-1)
    neighbours = box_sum(x) - x
    return table[(x.astype(int) + 1) * 17 + neighbours + 8]


def random_rule1d_table(radius, seed):
    rng = np.random.default_rng(seed)
    size = 3 ** (2 * radius + 1)
    table = rng.integers(-1, 2, size=size).astype(np.int8)
    centre_zero = (np.arange(size) // 3**radius) % 3 == 1
    table[centre_zero] = 0
    return table


def random_totalistic_table(seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(-1, 2, size=(3, 17)).astype(np.int8)
    table[1] = 0
    return table


@pytest.fixture
def upstream_left_neighbor():
    """Factory of an upstream-style LeftNeighbor kernel: ``apply(carrier) -> carrier`` plus a
    ``radius``, written on the carrier's support and sign (not with ``ref_left_neighbor``, so
    the two can check each other). ``make(carrier_type, base=object)`` returns an instance
    whose results are ``carrier_type`` objects; ``base`` is its base class (the original
    package's ``Kernel`` in the parity tests)."""

    def make(carrier_type, base=object):
        class UpstreamLeftNeighbor(base):
            radius = 1

            def apply(self, state, ctx=None):
                sign = state.sign
                left = np.concatenate([np.zeros_like(sign[:1]), sign[:-1]])
                out = np.sign(sign.astype(int) + left).astype(np.int8)
                support = state.support & (out != 0)
                return carrier_type(support=support,
                                    sign=np.where(support, out, 0).astype(np.int8))

        return UpstreamLeftNeighbor()

    return make


@pytest.fixture
def dc():
    import dashicore

    return dashicore
