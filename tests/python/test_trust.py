# SPDX-License-Identifier: Apache-2.0
"""What a Python user must be able to trust: no crash from Python code, no silent wrong
answer for a kernel without a declared radius, ValueError for out-of-range integers, no
non-trit out of a Python kernel, block sizes honoured, Ctrl-C, and interop details."""

import gc
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import dashicore as dc
from conftest import SOURCE_DIR, random_field, ref_left_neighbor
from dashicore._carrier import BlockCarrier


def run_python(code, timeout=120):
    """Runs `code` in a fresh interpreter (a crash there is a failed test, not a dead run)."""
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env)


# 1. A block kept by the function stays readable after the input is gone. The input is
# 64 MiB, above glibc's largest mmap threshold, so freeing it unmaps it.
@pytest.mark.parametrize("call", [
    "dc.run_kernel_parallel(k, x, block_elems=4 << 20, num_workers=2)",
    "dc.run_kernel_parallel(k, x, block_elems=4 << 20, boundary='periodic')",
    "dc.run_kernel_iterated(k, x, 2, block_elems=4 << 20)",
    "dc.apply_kernel(k, x)",
    "dc.run_kernel_parallel(dc.compose(dc.kernels.Clamp(), k), x, block_elems=4 << 20)",
])
def test_a_kept_block_outlives_the_input(call):
    result = run_python(f"""
        import gc, numpy as np, dashicore as dc
        kept = []
        def keep(b):
            kept.append(b)
            return b.copy()
        k = dc.PythonKernel(keep, radius=0)
        x = np.ones(64 << 20, dtype=np.int8)
        {call}
        del x
        gc.collect()
        junk = np.full(64 << 20, 7, dtype=np.int8)
        assert all(not b.flags.writeable for b in kept)
        assert all((b == 1).all() for b in kept)
        print(len(kept))
    """)
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert int(result.stdout) >= 1


# 2. A kernel without a declared radius is never split.
class UpstreamLeftNeighborStencil:
    """dashiCORE's own form: apply(carrier) -> carrier, no radius attribute."""

    def apply(self, state, ctx=None):
        sign = state.sign
        left = np.concatenate([np.zeros_like(sign[:1]), sign[:-1]])
        out = np.sign(sign.astype(int) + left).astype(np.int8)
        support = state.support & (out != 0)
        return BlockCarrier(support=support, sign=np.where(support, out, 0).astype(np.int8))


def test_a_kernel_without_radius_gives_the_monolithic_answer():
    x = random_field(100_000, 0.3, seed=11)
    expected = ref_left_neighbor(x)
    upstream = UpstreamLeftNeighborStencil()
    for block in (0, 1000, 7):
        y = dc.run_kernel_parallel(upstream, x, block_elems=block, num_workers=2)
        assert y.tobytes() == expected.tobytes()
    wrapped = dc.PythonKernel(upstream, carrier_type=BlockCarrier)
    assert wrapped.radius is None
    assert dc.PythonKernel(ref_left_neighbor).radius is None
    calls = []

    def counting(b):
        calls.append(b.shape)
        return ref_left_neighbor(b)

    y = dc.run_kernel_parallel(counting, x, block_elems=1000, num_workers=2)
    assert calls == [x.shape] and y.tobytes() == expected.tobytes()
    composed = dc.compose(dc.kernels.SignFlip(), upstream)
    assert composed.radius is None
    np.testing.assert_array_equal(dc.run_kernel_parallel(composed, x, block_elems=1000),
                                  ref_left_neighbor(-x))
    assert dc.compose(dc.kernels.LeftNeighbor(), dc.PythonKernel(ref_left_neighbor, 1)).radius == 2
    steps = dc.run_kernel_iterated(upstream, x, 3, block_elems=1000)
    np.testing.assert_array_equal(steps, ref_left_neighbor(ref_left_neighbor(expected)))
    with pytest.raises(ValueError, match="radius"):
        dc.run_kernel_parallel(upstream, x, boundary="periodic")


# 4. Integers out of range are ValueError.
def test_integers_out_of_range_are_value_errors(tmp_path):
    x = random_field(100, seed=1)
    k = dc.kernels.SignFlip()
    with pytest.raises(ValueError):
        dc.run_kernel_parallel(k, x, halo=2**70)
    with pytest.raises(ValueError):
        dc.run_kernel_parallel(k, x, block_elems=2**64)
    with pytest.raises(ValueError):
        dc.kernels.Rule1D([10**30] * 27)
    with pytest.raises(ValueError):
        dc.pq.FileWriter(str(tmp_path / "f.pqfs"), (2**64,))
    with pytest.raises(ValueError):
        dc.run_kernel_iterated(k, x, 2**70)
    with pytest.raises(ValueError):
        dc.pq.decode_site(dc.pq.encode(x), 2**80)
    with pytest.raises(TypeError):
        dc.run_kernel_iterated(k, x, 2.5)


# 5. No non-trit leaves the module from a Python kernel.
def test_a_python_kernel_never_returns_a_non_trit():
    x = random_field(10_000, seed=2)
    twos = dc.PythonKernel(lambda b: (2 * b).astype(np.int8), radius=0)
    for check in (True, False):
        with pytest.raises(dc.KernelContractError, match="value 2|value -2"):
            dc.run_kernel_parallel(twos, x, check_contract=check)
    with pytest.raises(dc.KernelContractError):
        dc.apply_kernel(twos, x)


# 6. block_elems is honoured for radius-0 Python kernels.
def test_block_elems_is_honoured_for_pointwise_python_kernels():
    x = random_field(1_000_000, seed=3)
    sizes = []

    def record(b):
        sizes.append(b.size)
        return b.copy()

    dc.run_kernel_parallel(dc.PythonKernel(record, radius=0), x, block_elems=100_000)
    assert sorted(sizes) == [100_000] * 10


# 7. Ctrl-C stops a long native call.
def test_ctrl_c_interrupts_a_long_iteration():
    code = """
        import sys, time, numpy as np, dashicore as dc
        x = np.ones((2000, 2000), dtype=np.int8)
        k = dc.kernels.Majority3x3()
        dc.run_kernel_iterated(k, x, 2, num_workers=1)
        calibration, elapsed = 10, 0.0
        while elapsed < 0.5:
            calibration *= 2
            start = time.monotonic()
            dc.run_kernel_iterated(k, x, calibration, num_workers=1)
            elapsed = time.monotonic() - start
        steps = int(calibration * 4.0 / elapsed)
        print("ready", elapsed * steps / calibration, flush=True)
        start = time.monotonic()
        try:
            dc.run_kernel_iterated(k, x, steps, num_workers=1)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic() - start, flush=True)
        y = dc.run_kernel_parallel(dc.kernels.SignFlip(), x)
        assert (y == -1).all()
        print("usable", flush=True)
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().split()
    assert first and first[0] == "ready", proc.stderr.read()
    expected = float(first[1])
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    lines = out.split("\n")
    assert lines[0].startswith("interrupted"), (out, err)
    assert float(lines[0].split()[1]) < expected / 2, (out, expected)
    assert "usable" in out


def test_ctrl_c_interrupts_a_python_kernel_run():
    code = """
        import time, numpy as np, dashicore as dc
        def slow(b):
            time.sleep(0.01)
            return b.copy()
        x = np.ones(10_000_000, dtype=np.int8)
        print("ready", flush=True)
        start = time.monotonic()
        try:
            dc.run_kernel_parallel(dc.PythonKernel(slow, radius=0), x, block_elems=10_000)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic() - start, flush=True)
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    # 1000 blocks of 10 ms each: at least 10 s uninterrupted.
    assert out.startswith("interrupted"), (out, err)
    assert float(out.split()[1]) < 5.0


def test_chunked_iteration_equals_one_call():
    x = random_field((300, 200), 0.4, seed=5)
    k = dc.kernels.Majority3x3()
    fixed, steps, converged = dc.iterate_to_fixed_point(k, x, 500, block_elems=5000)
    assert converged
    again, steps_again, _ = dc.iterate_to_fixed_point(k, x, steps + 5)
    assert steps_again == steps and again.tobytes() == fixed.tobytes()
    for n in (0, 1, 7, 40):
        y = dc.run_kernel_iterated(k, x, n, steps_per_sync=3)
        expected = x
        for _ in range(n):
            expected = dc.apply_kernel(k, expected)
        assert y.tobytes() == expected.tobytes()


# 9. Interop.
def test_shapes_print_as_python_tuples():
    x = random_field(8, seed=1)
    assert "(8,)" in repr(dc.pq.encode(x))
    with pytest.raises(dc.KernelContractError, match=r"\(8,\).*\(7,\)"):
        dc.run_kernel_parallel(dc.PythonKernel(lambda b: b[:-1].copy(), radius=0), x)
    with pytest.raises(ValueError, match=r"\(9,\)"):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x, out=np.zeros(9, dtype=np.int8))


def test_a_kernel_class_is_refused_with_a_clear_error():
    x = random_field(8, seed=1)
    with pytest.raises(TypeError, match=r"class .*instance.*SignFlip\(\)"):
        dc.run_kernel_parallel(dc.kernels.SignFlip, x)


def test_defect_aggregate_of_a_local_defect():
    x = random_field(100, seed=1)
    y = dc.run_kernel_parallel(dc.kernels.SignFlip(), x)
    local = dc.defect_local(x, y)
    assert dc.defect_aggregate(local) == dc.defect_aggregate(x, y) == int(local.sum())
    assert dc.defect_aggregate(local.astype(np.float64)) == int(local.sum())


def test_masked_arrays_are_refused():
    x = np.ma.masked_array(random_field(8, seed=1), mask=[True] + [False] * 7)
    with pytest.raises(TypeError, match="masked"):
        dc.run_kernel_parallel(dc.kernels.SignFlip(), x)


# 10. Install.
def test_pip_leftovers_are_ignored_by_git():
    if not (SOURCE_DIR / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "-C", str(SOURCE_DIR), "check-ignore", "-q", "--no-index",
                             "python/dashicore.egg-info/PKG-INFO"])
    assert result.returncode == 0


def test_pyproject_needs_no_build_requirement_debian_lacks():
    import tomllib

    data = tomllib.loads((SOURCE_DIR / "pyproject.toml").read_text())
    requires = data["build-system"]["requires"]
    assert all(r.startswith("setuptools") for r in requires), requires



# 3. Large results are aligned for transparent huge pages (and advised to use them).
def test_large_fresh_results_are_huge_page_aligned():
    x = np.zeros(8 << 20, dtype=np.int8)
    results = [dc.run_kernel_parallel(dc.kernels.SignFlip(), x),
               dc.run_kernel_iterated(dc.kernels.LeftNeighbor(), x, 3),
               dc.apply_kernel(dc.kernels.Clamp(), x)]
    for y in results:
        assert y.ctypes.data % (2 << 20) == 0


def test_a_fresh_result_reuses_the_buffer_just_freed():
    x = np.zeros(8 << 20, dtype=np.int8)
    kernel = dc.kernels.SignFlip()
    y = dc.run_kernel_parallel(kernel, x)
    address = y.ctypes.data
    del y
    gc.collect()
    z = dc.run_kernel_parallel(kernel, x)
    assert z.ctypes.data == address and (z == 0).all()


def test_python_kernels_from_several_threads_see_their_own_inputs():
    import threading

    fields = [random_field((3000, 10), 0.3, seed=s) for s in range(4)]
    results = [None] * len(fields)

    def run(i):
        k = dc.PythonKernel(ref_left_neighbor, radius=1)
        for _ in range(3):
            results[i] = dc.run_kernel_parallel(k, fields[i], block_elems=500, num_workers=2)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fields))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, y in zip(fields, results):
        assert y.tobytes() == ref_left_neighbor(x).tobytes()
