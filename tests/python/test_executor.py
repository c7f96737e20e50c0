# SPDX-License-Identifier: Apache-2.0
"""Executor, iteration, defect, MDL and fingerprint: numpy references and determinism
sweeps over workers x block sizes x shapes, compared byte for byte with the one-thread run."""

import itertools

import numpy as np
import pytest

import dashicore as dc
from conftest import (
    random_field,
    random_rule1d_table,
    random_totalistic_table,
    ref_left_neighbor,
    ref_majority,
)

K = dc.kernels
WORKERS = [1, 2, 3, 8]
BLOCKS = [1, 777, 0]


def kernels_for(shape):
    ks = [K.SignFlip(), K.LeftNeighbor(), K.Rule1D(random_rule1d_table(2, 1), 2),
          dc.compose(K.LeftNeighbor(), K.Clamp())]
    if len(shape) == 2:
        ks += [K.Majority3x3(), K.Totalistic2D(random_totalistic_table(2))]
    return ks


@pytest.mark.parametrize("shape", [(50_000,), (300, 170), (40, 30, 20)], ids=str)
def test_determinism_sweep(shape):
    x = random_field(shape, 0.3, seed=len(shape))
    for kernel in kernels_for(shape):
        reference = dc.apply_kernel(kernel, x)
        fp = dc.fingerprint(reference)
        for workers, block in itertools.product(WORKERS, BLOCKS):
            y = dc.run_kernel_parallel(kernel, x, num_workers=workers, block_elems=block)
            assert y.tobytes() == reference.tobytes(), (kernel, workers, block)
            assert dc.fingerprint(y) == fp


def test_periodic_boundary_equals_padding_by_hand():
    x = random_field((120, 17), 0.3, seed=9)
    padded = np.concatenate([x[-1:], x, x[:1]])
    expected = dc.apply_kernel(K.LeftNeighbor(), padded)[1:-1]
    for workers, block in itertools.product(WORKERS, BLOCKS):
        y = dc.run_kernel_parallel(
            K.LeftNeighbor(), x, boundary="periodic", num_workers=workers, block_elems=block
        )
        np.testing.assert_array_equal(y, expected)


def test_bad_options_are_value_errors():
    x = random_field(100)
    for kwargs in ({"num_workers": -1}, {"block_elems": -5}, {"halo": 0},
                   {"boundary": "wrap"}, {"halo": -1}):
        with pytest.raises(ValueError):
            dc.run_kernel_parallel(K.LeftNeighbor(), x, **kwargs)
    with pytest.raises(ValueError, match="halo 0 is below"):
        dc.run_kernel_parallel(dc.compose(K.LeftNeighbor()), x, halo=0)
    with pytest.raises(ValueError, match="steps_per_sync"):
        dc.run_kernel_iterated(K.SignFlip(), x, 3, steps_per_sync=0)
    with pytest.raises(TypeError):
        dc.run_kernel_parallel(42, x)


def test_block_sites_and_its_earlier_spelling_block_elems():
    """block_sites= is the keyword; block_elems= still works and means the same blocks; both
    set to different values is a ValueError naming both."""
    x = random_field((300, 7), 0.4, seed=4)
    calls = []

    def flip(a):
        calls.append(a.shape[0])
        return -a

    kernel = dc.PythonKernel(flip, radius=0)
    reference = dc.apply_kernel(K.LeftNeighbor(), x)
    for kwargs in ({"block_sites": 70}, {"block_elems": 70},
                   {"block_sites": 70, "block_elems": 70}):
        y = dc.run_kernel_parallel(K.LeftNeighbor(), x, num_workers=2, **kwargs)
        assert y.tobytes() == reference.tobytes(), kwargs
        calls.clear()
        dc.run_kernel_parallel(kernel, x, num_workers=1, **kwargs)
        assert calls == [10] * 30, kwargs  # 30 blocks of 10 rows of 7 sites
        it = dc.run_kernel_iterated(K.LeftNeighbor(), x, 2, num_workers=2, **kwargs)
        assert it.tobytes() == dc.apply_kernel(K.LeftNeighbor(), reference).tobytes()
        fixed, _, _ = dc.iterate_to_fixed_point(K.SignFlip(), x, 2, **kwargs)
        assert fixed.tobytes() == x.tobytes()
        packed = dc.pq.encode(x)
        out = dc.pq.run_kernel_parallel(K.LeftNeighbor(), packed, **kwargs)
        assert dc.pq.decode(out).tobytes() == reference.tobytes()
    for call in (lambda **kw: dc.run_kernel_parallel(K.LeftNeighbor(), x, **kw),
                 lambda **kw: dc.run_kernel_iterated(K.LeftNeighbor(), x, 2, **kw),
                 lambda **kw: dc.iterate_to_fixed_point(K.LeftNeighbor(), x, 2, **kw),
                 lambda **kw: dc.pq.run_kernel_parallel(K.LeftNeighbor(), dc.pq.encode(x), **kw)):
        with pytest.raises(ValueError, match="block_sites = 128 and block_elems = 64"):
            call(block_sites=128, block_elems=64)
    with pytest.raises(ValueError, match="block_sites"):
        dc.run_kernel_parallel(K.LeftNeighbor(), x, block_sites=-1)


def test_a_larger_halo_changes_nothing():
    x = random_field(5000, 0.2, seed=3)
    ref = dc.apply_kernel(K.LeftNeighbor(), x)
    for halo in (1, 2, 5):
        np.testing.assert_array_equal(
            dc.run_kernel_parallel(K.LeftNeighbor(), x, halo=halo, block_elems=64), ref
        )


def test_contract_violations_name_block_and_site():
    def creates_support(block):
        out = block.copy()
        out[out == 0] = 1
        return out

    x = np.ones(1000, dtype=np.int8)
    x[640] = 0
    with pytest.raises(dc.KernelContractError, match="site 640") as info:
        dc.run_kernel_parallel(dc.PythonKernel(creates_support, 0), x, block_elems=100)
    assert "block 6" in str(info.value) and isinstance(info.value, ValueError)
    # check_contract=False leaves it to the caller.
    y = dc.run_kernel_parallel(dc.PythonKernel(creates_support, 0), x, check_contract=False)
    assert y[640] == 1


def test_iterated_runs_equal_repeated_application():
    x = random_field((90, 40), 0.4, seed=11)
    expected = x
    for _ in range(7):
        expected = ref_majority(expected)
    for sync, workers, block in itertools.product([1, 3], [1, 3], [1, 400, 0]):
        y = dc.run_kernel_iterated(K.Majority3x3(), x, 7, steps_per_sync=sync,
                                   num_workers=workers, block_elems=block)
        np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(dc.run_kernel_iterated(K.Majority3x3(), x, 0), x)


def test_fixed_point_iteration():
    x = random_field((64, 64), 0.3, seed=12)
    field, steps, converged = dc.iterate_to_fixed_point(K.Majority3x3(), x, 200)
    assert converged
    np.testing.assert_array_equal(ref_majority(field), field)
    np.testing.assert_array_equal(dc.run_kernel_iterated(K.Majority3x3(), x, steps), field)
    if steps > 0:
        assert not np.array_equal(dc.run_kernel_iterated(K.Majority3x3(), x, steps - 1), field)
    for sync, block in itertools.product([1, 4], [1, 999, 0]):
        again = dc.iterate_to_fixed_point(K.Majority3x3(), x, 200, steps_per_sync=sync,
                                          block_elems=block)
        assert again[0].tobytes() == field.tobytes() and again[1] == steps and again[2]
    _, steps0, converged0 = dc.iterate_to_fixed_point(K.LeftNeighbor(), random_field(50), 0)
    assert steps0 == 0 and not converged0


def test_defect_and_mdl_match_numpy():
    a = random_field((40, 25), 0.3, seed=1)
    b = random_field((40, 25), 0.5, seed=2)
    local = dc.defect_local(a, b)
    np.testing.assert_array_equal(local, np.abs(a.astype(int) - b))
    assert local.shape == a.shape
    assert dc.defect_aggregate(a, b) == int(np.abs(a.astype(int) - b).sum())
    assert dc.defect_aggregate(a, a) == 0
    support = int(np.count_nonzero(a))
    assert dc.mdl_score(a) == float(support) + float(support) * 0.01
    assert dc.mdl_compare(a, b) == "B"  # b has fewer supported sites
    assert dc.mdl_compare(b, a) == "A"
    assert dc.mdl_compare(a, a.copy()) == "tie"
    with pytest.raises(dc.CarrierError):
        dc.defect_local(a, b[:-1])


def test_fingerprint_depends_on_values_and_shape():
    x = random_field(600, seed=1)
    assert dc.fingerprint(x) == dc.fingerprint(x.copy())
    assert dc.fingerprint(x) != dc.fingerprint(x.reshape(20, 30))
    y = x.copy()
    y[300] = 1 if y[300] != 1 else -1
    assert dc.fingerprint(x) != dc.fingerprint(y)
    assert isinstance(dc.fingerprint(x), int)


def test_leftneighbor_numpy_reference_itself():
    # The reference used throughout, checked on a hand-made case.
    x = np.array([1, 1, 0, -1, 1, -1], dtype=np.int8)
    np.testing.assert_array_equal(ref_left_neighbor(x), [1, 1, 0, -1, 0, 0])
