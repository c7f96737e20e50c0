# SPDX-License-Identifier: Apache-2.0
"""PythonKernel: block by block with the GIL taken per block, deterministic, the lowest
failing block's exception with its Python type; upstream-style kernel objects."""

import itertools

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field, ref_left_neighbor
from dashicore._carrier import BlockCarrier


def numpy_left_neighbor(block):
    return ref_left_neighbor(block)


def test_python_kernel_is_deterministic():
    x = random_field((400, 30), 0.3, seed=1)
    k = dc.PythonKernel(numpy_left_neighbor, radius=1)
    assert k.radius == 1 and not k.contract_proven
    expected = ref_left_neighbor(x)
    for workers, block in itertools.product([1, 2, 3, 8], [1, 777, 0]):
        y = dc.run_kernel_parallel(k, x, num_workers=workers, block_elems=block)
        assert y.tobytes() == expected.tobytes()
    periodic = dc.run_kernel_parallel(k, x, boundary="periodic", block_elems=300)
    np.testing.assert_array_equal(
        periodic, dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), x, boundary="periodic")
    )
    np.testing.assert_array_equal(dc.run_kernel_iterated(k, x, 3, steps_per_sync=2),
                                  dc.run_kernel_iterated(dc.kernels.LeftNeighbor(), x, 3))


def test_blocks_are_read_only_views_of_the_input():
    x = random_field(100_000, seed=2)
    seen = []

    def check(block):
        seen.append((np.shares_memory(block, x), block.flags.writeable))
        return block.copy()

    dc.run_kernel_parallel(dc.PythonKernel(check, radius=0), x, block_elems=10_000,
                           num_workers=2)
    assert seen and all(shared and not writable for shared, writable in seen)


class Boom(Exception):
    pass


def test_lowest_index_exception_with_its_python_type():
    x = random_field(64_000, seed=3)

    base = x.ctypes.data

    def fn(block):
        start = block.ctypes.data - base  # blocks are views of x (radius 0, clip)
        if start >= 20_000:
            raise Boom(f"block at {start}")
        return block.copy()

    for workers in (1, 2, 4, 8):
        with pytest.raises(Boom, match="block at 20000$"):
            dc.run_kernel_parallel(dc.PythonKernel(fn, radius=0), x, block_elems=1000,
                                   num_workers=workers)
    with pytest.raises(KeyError):  # another type, kept too
        dc.run_kernel_parallel(dc.PythonKernel(lambda b: {}[1]), x, num_workers=2)
    # The pool stays usable.
    np.testing.assert_array_equal(dc.run_kernel_parallel(dc.kernels.SignFlip(), x), -x)


def test_bad_results_are_reported():
    x = random_field(1000, seed=4)
    with pytest.raises(dc.KernelContractError, match="changed the shape"):
        dc.run_kernel_parallel(dc.PythonKernel(lambda b: b[:-1].copy()), x)
    with pytest.raises(TypeError, match="int8"):
        dc.run_kernel_parallel(dc.PythonKernel(lambda b: b.astype(np.int64)), x)
    with pytest.raises(dc.KernelContractError, match="not a trit"):
        dc.run_kernel_parallel(dc.PythonKernel(lambda b: (b * 3).astype(np.int8)), x)
    with pytest.raises(ValueError):
        dc.PythonKernel(lambda b: b, radius=-1)


def test_nested_calls_from_a_python_kernel():
    x = random_field((200, 50), seed=5)

    def inner(block):
        return dc.run_kernel_parallel(dc.kernels.SignFlip(), block)

    y = dc.run_kernel_parallel(dc.PythonKernel(inner, radius=0), x, block_elems=1000,
                               num_workers=4)
    np.testing.assert_array_equal(y, -x)


def test_upstream_style_kernel_objects_are_wrapped(upstream_left_neighbor):
    x = random_field(30_000, 0.3, seed=6)
    expected = ref_left_neighbor(x)
    wrapped = dc.PythonKernel(upstream_left_neighbor(BlockCarrier), carrier_type=BlockCarrier)
    assert wrapped.radius == 1
    np.testing.assert_array_equal(dc.run_kernel_parallel(wrapped, x, block_elems=999), expected)
    # Passed directly, it is wrapped the same way (radius from the object).
    np.testing.assert_array_equal(
        dc.run_kernel_parallel(upstream_left_neighbor(BlockCarrier), x, block_elems=999,
                               num_workers=3),
        expected,
    )
    # A plain function declares no radius: it runs on the whole field.
    np.testing.assert_array_equal(dc.run_kernel_parallel(lambda b: -b, x), -x)
