#SPDX - License - Identifier : Apache - 2.0
"""The input check of every kernel call: a value that is not a trit raises CarrierError naming
the lowest bad index, wherever it sits (first site, a block's first or last site, a halo row,
the last site) and whichever way the kernel checks (the shipped byte maps in the same pass as
they map, the stencils and rules piece by piece through their row-window form, other kernels
block by block), also on outputs large enough for streaming stores."""

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field

BAD_VALUES = (2, -2, 5, 127, -128)


def kernels_and_shapes():
    table1d = np.zeros(27, dtype=np.int8)
    table1d[[0, 2, 26]] = [1, -1, 1]  # entries whose centre digit is not 1 (centre not 0)
    yield dc.kernels.SignFlip(), (4096, 64)
    yield dc.kernels.Clamp(), (4096, 64)
    yield dc.kernels.ClampNonnegative(), (4096, 64)
    yield dc.kernels.LeftNeighbor(), (4096, 64)
    yield dc.kernels.Majority3x3(), (4096, 64)
    yield dc.kernels.Rule1D(table1d, radius=1), (4096, 64)


def positions(shape, block_rows):
    sites = int(np.prod(shape))
    row = shape[1]
    return sorted(
        {
            0,
            1,
            block_rows * row - 1,  # last site of block 0
            block_rows * row,  # first site of block 1 (in block 0's halo)
            3 * block_rows * row + 17,
            sites - row,  # first site of the last row
            sites - 1,
        }
    )


@pytest.mark.parametrize("kernel,shape", list(kernels_and_shapes()), ids=lambda v: str(v))
def test_every_bad_value_anywhere_is_named(kernel, shape):
    block_rows = 64
    base = random_field(shape, seed=11)
    for where in positions(shape, block_rows):
        for value in BAD_VALUES:
            x = base.copy()
            x.reshape(-1)[where] = value
            for workers in (1, 2):
                with pytest.raises(dc.CarrierError, match=rf"value {value} at index {where}\b"):
                    dc.run_kernel_parallel(
                        kernel, x, num_workers=workers, block_elems=block_rows * shape[1]
                    )
            np.testing.assert_array_equal(x.reshape(-1)[where], value)  # the input is untouched


@pytest.mark.parametrize("kernel,shape", list(kernels_and_shapes()), ids=lambda v: str(v))
def test_the_lowest_bad_index_wins(kernel, shape):
    x = random_field(shape, seed=12)
    flat = x.reshape(-1)
    row = shape[1]
#Three bad sites : in block 2's core, in block 1's first row(block 0's halo), in block 3.
    flat[[2 * 64 * row + 5, 64 * row + 3, 3 * 64 * row]] = [9, -7, 3]
    with pytest.raises(dc.CarrierError, match=rf"value -7 at index {64 * row + 3}\b"):
        dc.run_kernel_parallel(kernel, x, num_workers=2, block_elems=64 * row)


@pytest.mark.parametrize("kernel", [dc.kernels.SignFlip(), dc.kernels.LeftNeighbor()], ids=str)
def test_large_outputs_with_streaming_stores_are_checked_too(kernel):
    n = 1 << 24  # 16 MiB: above the streaming-store threshold
    x = random_field(n, seed=13)
    out = np.empty_like(x)
    for where in (0, n // 2 + 3, n - 1):
        y = x.copy()
        y[where] = 100
        with pytest.raises(dc.CarrierError, match=rf"value 100 at index {where}\b"):
            dc.run_kernel_parallel(kernel, y, out=out)
#And valid input still gives the unchecked result.
    expected = dc.run_kernel_parallel(kernel, x, check_contract=False)
    dc.run_kernel_parallel(kernel, x, out=out)
    np.testing.assert_array_equal(out, expected)
