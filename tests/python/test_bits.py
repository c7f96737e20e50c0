# SPDX-License-Identifier: Apache-2.0
"""dashicore.bits: BitField, pack / unpack, from_pq / to_pq and the executor on planes, each
against the int8 results."""

import gc

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field

bits = dc.bits

SHAPES = [(1,), (63,), (64,), (65,), (1000,), (1, 65), (17, 65), (40, 130), (3, 5, 70)]


def kernels_for(rank):
    rule = np.zeros(27, dtype=np.int8)
    rule[[0, 2, 18, 20, 24, 26]] = [1, -1, 1, 1, -1, 1]  # any valid table: centre 0 maps to 0
    out = [dc.kernels.SignFlip(), dc.kernels.Clamp(), dc.kernels.ClampNonnegative(),
           dc.kernels.LeftNeighbor(), dc.kernels.Rule1D(rule, 1)]
    if rank == 2:
        table = np.zeros((3, 17), dtype=np.int8)
        table[0, :8] = -1
        table[2, 9:] = 1
        out += [dc.kernels.Majority3x3(), dc.kernels.Totalistic2D(table)]
    return out


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pack_unpack_and_pq_round_trip(shape):
    x = random_field(shape, 0.4, seed=len(shape))
    b = bits.pack(x)
    assert isinstance(b, bits.BitField)
    assert b.shape == shape and b.size == x.size and len(b) == x.size
    assert b.count_support() == int(np.count_nonzero(x))
    np.testing.assert_array_equal(b.unpack(), x)
    np.testing.assert_array_equal(bits.unpack(b), x)
    assert bits.to_pq(b, block_sites=64) == dc.pq.encode(x, block_sites=64)
    assert bits.to_pq(b, num_workers=3) == dc.pq.encode(x)
    assert bits.from_pq(dc.pq.encode(x)) == b
    assert b == bits.pack(x.copy()) and not (b == bits.pack(-x) if x.any() else False)


def test_planes_are_read_only_uint64_views_that_keep_the_field_alive():
    x = random_field((3, 70), 0.2, seed=4)
    b = bits.pack(x)
    support, sign = b.support, b.sign
    assert support.dtype == np.uint64 and support.shape == (6,)  # 3 slices of 2 words
    assert not support.flags.writeable and not sign.flags.writeable
    with pytest.raises(ValueError):
        support[0] = 1
    first = int(x[0][0] != 0)
    assert int(support[0]) & 1 == first
    del b
    gc.collect()
    assert int(support[0]) & 1 == first  # still valid: the array keeps the field


def test_pack_names_the_first_value_that_is_not_a_trit():
    x = np.zeros(100, dtype=np.int8)
    x[70] = 2
    with pytest.raises(dc.CarrierError, match="index 70"):
        bits.pack(x)
    with pytest.raises(TypeError):
        bits.pack(np.zeros(10, dtype=np.int16))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("boundary", ["clip", "periodic"])
def test_executor_on_planes_equals_int8(shape, boundary):
    x = random_field(shape, 0.3, seed=7)
    b = bits.pack(x)
    for kernel in kernels_for(len(shape)):
        for block_elems in (0, 1, 100):
            options = dict(num_workers=2, block_elems=block_elems, boundary=boundary)
            r = dc.run_kernel_parallel(kernel, b, **options)
            assert isinstance(r, bits.BitField)
            np.testing.assert_array_equal(r.unpack(), dc.run_kernel_parallel(kernel, x, **options))
        out = bits.pack(np.zeros_like(x))
        assert dc.run_kernel_parallel(kernel, b, out=out, boundary=boundary) is out
        np.testing.assert_array_equal(out.unpack(),
                                      dc.run_kernel_parallel(kernel, x, boundary=boundary))
        it = dc.run_kernel_iterated(kernel, b, 5, steps_per_sync=2, boundary=boundary)
        np.testing.assert_array_equal(it.unpack(),
                                      dc.run_kernel_iterated(kernel, x, 5, boundary=boundary))


def test_kernels_without_a_bit_form_are_a_type_error():
    b = bits.pack(random_field((100,), 0.3))
    with pytest.raises(TypeError, match="no bit-sliced form"):
        dc.run_kernel_parallel(dc.PythonKernel(lambda block: block, radius=0), b)
    with pytest.raises(TypeError, match="no bit-sliced form"):
        dc.run_kernel_iterated(dc.kernels.Rule1D(np.zeros(243, dtype=np.int8), 2), b, 2)
    with pytest.raises(ValueError, match="below the kernel's radius"):
        dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), b, halo=0)
    with pytest.raises(ValueError, match="differs from input shape"):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), b, out=bits.pack(np.zeros(99, np.int8)))
