# SPDX-License-Identifier: Apache-2.0
"""Arrays in and out: int8 C-contiguous inputs read in place, everything else a TypeError,
results owning the C++ buffer, out=, Carrier-like objects, the GIL released."""

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field, ref_left_neighbor, ref_sign_flip
from dashicore._carrier import BlockCarrier


def test_version_is_the_cpp_version():
    header = (
        __import__("conftest").SOURCE_DIR / "include" / "dashi" / "version.hpp"
    ).read_text()
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        line = next(l for l in header.splitlines() if f"#define DASHI_VERSION_{part} " in l)
        parts.append(line.split()[-1])
    assert dc.__version__ == ".".join(parts)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.uint8, np.float64, bool])
def test_other_dtypes_are_a_type_error(dtype):
    x = np.zeros(10, dtype=dtype)
    with pytest.raises(TypeError, match="int8"):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x)


def test_strided_arrays_are_a_type_error():
    x = random_field((20, 10))
    for view in (x[::2], x[:, ::3], x.T):
        with pytest.raises(TypeError, match="C-contiguous"):
            dc.run_kernel_parallel(dc.kernels.SignFlip(), view)


def test_lists_and_other_objects_are_a_type_error():
    with pytest.raises(TypeError):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), [1, 0, -1])
    with pytest.raises(TypeError):
        dc.fingerprint(object())


def test_ranks_outside_one_to_four_are_a_carrier_error():
    with pytest.raises(dc.CarrierError):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), np.zeros((1, 1, 1, 1, 2), dtype=np.int8))
    with pytest.raises(dc.CarrierError):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), np.array(1, dtype=np.int8))


def test_non_trits_are_a_carrier_error_naming_the_site():
    x = random_field(100_000, seed=3)
    x[77_777] = 5
    with pytest.raises(dc.CarrierError, match="value 5 at index 77777") as info:
        dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), x, block_elems=1000)
    assert isinstance(info.value, ValueError)
    with pytest.raises(dc.CarrierError, match="index 77777"):
        dc.apply_kernel(dc.kernels.SignFlip(), x)
    with pytest.raises(dc.CarrierError):
        dc.run_kernel_iterated(dc.kernels.SignFlip(), x, 3)
    with pytest.raises(dc.CarrierError):
        dc.pq.encode(x)


def test_results_are_new_arrays_owning_the_cpp_buffer():
    x = random_field((64, 33), seed=1)
    y = dc.run_kernel_parallel(dc.kernels.SignFlip(), x)
    assert isinstance(y, np.ndarray) and y.dtype == np.int8 and y.shape == x.shape
    assert y.flags.c_contiguous and y.flags.writeable and not y.flags.owndata
    assert not np.shares_memory(x, y)
    np.testing.assert_array_equal(y, ref_sign_flip(x))
    y[0, 0] = 1  # writable, and it stays alive after the call
    del x
    assert y.sum() == y.sum()


def test_read_only_inputs_are_read_in_place():
    x = random_field(1000, seed=2)
    x.flags.writeable = False
    np.testing.assert_array_equal(dc.run_kernel_parallel(dc.kernels.SignFlip(), x), -x)


def test_out_writes_into_the_callers_array():
    x = random_field((300, 40), seed=4)
    out = np.empty_like(x)
    result = dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), x, out=out, num_workers=2)
    assert result is out
    assert np.shares_memory(result, out)
    np.testing.assert_array_equal(out, ref_left_neighbor(x))


def test_bad_out_arrays_are_refused():
    x = random_field(100)
    with pytest.raises(ValueError):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x, out=np.empty(99, dtype=np.int8))
    with pytest.raises(TypeError):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x, out=np.empty(100, dtype=np.int16))
    ro = np.empty(100, dtype=np.int8)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x, out=ro)
    with pytest.raises(ValueError, match="overlap"):
        dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), x, out=x)


def test_carrier_like_objects_come_back_as_their_own_type():
    x = random_field((30, 7), seed=5)
    carrier = BlockCarrier(support=x != 0, sign=x)
    result = dc.run_kernel_parallel(dc.kernels.SignFlip(), carrier)
    assert type(result) is BlockCarrier
    np.testing.assert_array_equal(result.sign, -x)
    np.testing.assert_array_equal(result.support, x != 0)
    fixed, steps, converged = dc.iterate_to_fixed_point(dc.kernels.Clamp(), carrier, 5)
    assert type(fixed) is BlockCarrier and steps == 0 and converged
    assert dc.fingerprint(carrier) == dc.fingerprint(x)


def test_the_gil_is_released_during_calls():
    # With a huge switch interval the main thread never hands the GIL over while it runs
    # Python code; the counter can only advance while a call has released it.
    x = random_field(1 << 22, seed=6)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0.0001)

    old = sys.getswitchinterval()
    thread = threading.Thread(target=spin)
    thread.start()
    try:
        sys.setswitchinterval(100.0)
        before = counter[0]
        dc.run_kernel_iterated(dc.kernels.LeftNeighbor(), x, 200, num_workers=1)
        after = counter[0]
    finally:
        sys.setswitchinterval(old)
        stop.set()
        thread.join()
    assert after > before, "no Python thread ran during the call: the GIL was held"


ZERO_COPY_SCRIPT = textwrap.dedent(
    """
    import resource, numpy as np, dashicore as dc
    n = 1 << 28
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    x = np.ones(n, dtype=np.int8)
    out = np.empty(n, dtype=np.int8)
    out.fill(0)  # touch its pages (np.zeros would map them lazily)
    dc.run_kernel_parallel(dc.kernels.SignFlip(), x[:1000], out=out[:1000])  # warm up
    base = peak()
    r = dc.run_kernel_parallel(dc.kernels.SignFlip(), x, out=out)
    into = peak() - base
    assert r is out and out[0] == -1 and out[-1] == -1
    base = peak()
    y = dc.run_kernel_parallel(dc.kernels.SignFlip(), x)
    fresh = peak() - base
    assert y[0] == -1 and y[-1] == -1 and y.shape == (n,)
    print(into, fresh)
    """
)


def test_zero_copy_with_two_to_the_28_sites():
    # A fresh process, so that its peak resident memory measures only these calls.
    done = subprocess.run(
        [sys.executable, "-c", ZERO_COPY_SCRIPT], capture_output=True, text=True, check=True
    )
    into, fresh = (int(v) for v in done.stdout.split())
    field = 1 << 28
    assert into < field // 4, f"out= grew the peak by {into} bytes: a copy was made"
    # A fresh result costs one field (the result itself): no copy of the input or of the output.
    assert fresh < field + field // 4, f"a fresh result grew the peak by {fresh} bytes"


def test_unchecked_runs_of_invalid_bytes_are_memory_safe():
    # check_contract=False skips the input check: the result is unspecified, but every kernel
    # (the rule kernels' table lookups included) stays inside its buffers.
    rng = np.random.default_rng(8)
    x = rng.integers(-128, 128, size=(300, 70)).astype(np.int8)
    from conftest import random_rule1d_table

    kernels = [dc.kernels.SignFlip(), dc.kernels.Clamp(), dc.kernels.ClampNonnegative(),
               dc.kernels.LeftNeighbor(), dc.kernels.Majority3x3(),
               dc.kernels.Totalistic2D(dc.kernels.Totalistic2D.majority_table())]
    kernels += [dc.kernels.Rule1D(random_rule1d_table(r, r), r) for r in (1, 2, 3)]
    for kernel in kernels:
        for block in (1, 0):
            y = dc.run_kernel_parallel(kernel, x, check_contract=False, block_elems=block)
            assert y.shape == x.shape
        with pytest.raises(dc.CarrierError):
            dc.run_kernel_parallel(kernel, x)
