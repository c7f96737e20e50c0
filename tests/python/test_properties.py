# SPDX-License-Identifier: Apache-2.0
"""Property tests of the determinism guarantee (Hypothesis): for random shapes, kernels,
block sizes, worker counts and boundaries, run_kernel_parallel equals apply_kernel byte for
byte, and run_kernel_iterated equals repeated apply_kernel."""

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import dashicore as dc  # noqa: E402
from conftest import random_rule1d_table, random_totalistic_table  # noqa: E402

K = dc.kernels


def kernel_for(name, rank, seed):
    if name == "rule1d":
        radius = 1 + seed % 3
        return K.Rule1D(random_rule1d_table(radius, seed), radius)
    if name == "totalistic":
        return K.Totalistic2D(random_totalistic_table(seed)) if rank == 2 else K.LeftNeighbor()
    if name == "majority":
        return K.Majority3x3() if rank == 2 else K.Clamp()
    if name == "compose":
        return dc.compose(K.LeftNeighbor(), K.SignFlip(), K.Rule1D(random_rule1d_table(1, seed)))
    if name == "python":
        return dc.PythonKernel(lambda b: np.where(b > 0, 0, b).astype(np.int8), radius=0)
    return {"signflip": K.SignFlip(), "clamp": K.Clamp(), "nonneg": K.ClampNonnegative(),
            "left": K.LeftNeighbor()}[name]


NAMES = ["signflip", "clamp", "nonneg", "left", "majority", "rule1d", "totalistic", "compose",
         "python"]


@st.composite
def cases(draw):
    rank = draw(st.integers(1, 4))
    extents = draw(st.lists(st.integers(0 if rank == 1 else 1, 40 if rank > 1 else 3000),
                            min_size=rank, max_size=rank))
    if rank > 2:
        extents = [min(e, 12) for e in extents]
    seed = draw(st.integers(0, 2**31))
    values = np.random.default_rng(seed).integers(-1, 2, size=extents).astype(np.int8)
    name = draw(st.sampled_from(NAMES))
    return values, kernel_for(name, rank, seed % 97)


common = settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@common
@given(case=cases(), block=st.integers(0, 5000), workers=st.integers(0, 4))
def test_parallel_equals_apply_kernel(case, block, workers):
    x, kernel = case
    expected = dc.apply_kernel(kernel, x)
    y = dc.run_kernel_parallel(kernel, x, block_elems=block, num_workers=workers)
    assert y.tobytes() == expected.tobytes() and y.shape == x.shape


@common
@given(case=cases(), block=st.integers(0, 5000), workers=st.integers(0, 3))
def test_periodic_parallel_equals_periodic_apply_kernel(case, block, workers):
    x, kernel = case
    expected = dc.apply_kernel(kernel, x, boundary="periodic")
    y = dc.run_kernel_parallel(kernel, x, block_elems=block, num_workers=workers,
                               boundary="periodic")
    assert y.tobytes() == expected.tobytes()


@common
@given(case=cases(), steps=st.integers(0, 5), per_sync=st.integers(1, 4),
       block=st.integers(0, 3000))
def test_iterated_equals_repeated_apply_kernel(case, steps, per_sync, block):
    x, kernel = case
    expected = x
    for _ in range(steps):
        expected = dc.apply_kernel(kernel, expected)
    y = dc.run_kernel_iterated(kernel, x, steps, steps_per_sync=per_sync, block_elems=block)
    assert y.tobytes() == expected.tobytes()
