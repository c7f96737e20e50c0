# SPDX-License-Identifier: Apache-2.0
"""What Python users expect of a numpy library: pickling and deep copies (so process pools
work), value equality of kernels, PackedField hashing, the shared pool's thread count,
apply_kernel's boundary, and property tests of the determinism guarantee."""

import concurrent.futures
import copy
import pickle

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field, random_rule1d_table, ref_left_neighbor

K = dc.kernels


def kernels_to_copy():
    return [
        K.SignFlip(), K.Clamp(), K.ClampNonnegative(), K.LeftNeighbor(), K.Majority3x3(),
        K.Rule1D(random_rule1d_table(1, 3)), K.Rule1D(random_rule1d_table(2, 4), 2),
        K.Totalistic2D(K.Totalistic2D.majority_table()),
        dc.compose(K.LeftNeighbor(), K.Clamp()),
        dc.PythonKernel(ref_left_neighbor, radius=1),
        dc.PythonKernel(ref_left_neighbor),
    ]


@pytest.mark.parametrize("kernel", kernels_to_copy(), ids=repr)
def test_kernels_pickle_deep_copy_and_compare_by_value(kernel):
    for twin in (pickle.loads(pickle.dumps(kernel)), copy.deepcopy(kernel), copy.copy(kernel)):
        assert type(twin) is type(kernel)
        assert twin == kernel and not (twin != kernel) and hash(twin) == hash(kernel)
        assert twin.radius == kernel.radius
        x = random_field((64, 32), seed=1)
        np.testing.assert_array_equal(dc.run_kernel_parallel(twin, x),
                                      dc.run_kernel_parallel(kernel, x))


def test_kernels_differ_by_kind_and_parameters():
    assert K.SignFlip() == K.SignFlip() and K.SignFlip() != K.Clamp()
    assert K.Rule1D(random_rule1d_table(1, 1)) != K.Rule1D(random_rule1d_table(1, 2))
    assert dc.PythonKernel(ref_left_neighbor, 1) != dc.PythonKernel(ref_left_neighbor, 0)
    assert dc.compose(K.SignFlip(), K.Clamp()) != dc.compose(K.Clamp(), K.SignFlip())
    assert len({K.SignFlip(), K.SignFlip(), K.Clamp()}) == 2
    assert K.SignFlip() != "SignFlip()"


def test_packed_fields_pickle_and_hash_by_value():
    x = random_field((100, 30), seed=2)
    p = dc.pq.encode(x, block_sites=512)
    for twin in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert twin == p and hash(twin) == hash(p)
        np.testing.assert_array_equal(dc.pq.decode(twin), x)
    assert hash(p) != hash(dc.pq.encode(-x, block_sites=512))


def _run_in_child(kernel, x):
    return dc.run_kernel_parallel(kernel, x), dc.pq.encode(x)


def test_a_process_pool_runs_kernels_and_returns_packed_fields():
    x = random_field((200, 50), seed=3)
    kernel = dc.compose(K.LeftNeighbor(), K.Rule1D(random_rule1d_table(1, 5)))
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        y, packed = pool.submit(_run_in_child, kernel, x).result(timeout=120)
    np.testing.assert_array_equal(y, dc.run_kernel_parallel(kernel, x))
    assert packed == dc.pq.encode(x)


def test_set_num_threads():
    default = dc.get_num_threads()
    assert default >= 1
    try:
        dc.set_num_threads(1)
        assert dc.get_num_threads() == 1
        x = random_field(1_000_000, seed=4)
        np.testing.assert_array_equal(dc.run_kernel_parallel(K.SignFlip(), x), -x)
        with pytest.raises(ValueError):
            dc.set_num_threads(-1)
    finally:
        dc.set_num_threads(0)
    assert dc.get_num_threads() == default


def test_apply_kernel_boundary():
    x = random_field((50, 20), seed=6)
    periodic = dc.apply_kernel(K.LeftNeighbor(), x, boundary="periodic")
    np.testing.assert_array_equal(
        periodic, dc.run_kernel_parallel(K.LeftNeighbor(), x, boundary="periodic", block_elems=60))
    assert periodic[0].tobytes() != dc.apply_kernel(K.LeftNeighbor(), x)[0].tobytes()
    np.testing.assert_array_equal(dc.apply_kernel(K.LeftNeighbor(), x, boundary="clip"),
                                  ref_left_neighbor(x))
    with pytest.raises(ValueError, match="boundary"):
        dc.apply_kernel(K.LeftNeighbor(), x, boundary="wrap")
