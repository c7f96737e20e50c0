# SPDX-License-Identifier: Apache-2.0
"""The shipped kernels and the rule kernels against numpy references; refused tables."""

import numpy as np
import pytest

import dashicore as dc
from conftest import (
    random_field,
    random_rule1d_table,
    random_totalistic_table,
    ref_clamp,
    ref_clamp_nonnegative,
    ref_left_neighbor,
    ref_majority,
    ref_rule1d,
    ref_sign_flip,
    ref_totalistic,
)

K = dc.kernels
SHAPES = [(0,), (1,), (5,), (1000,), (33, 65), (7, 3, 11), (4, 3, 2, 5)]


@pytest.mark.parametrize(
    "kernel, reference, radius",
    [
        (K.SignFlip(), ref_sign_flip, 0),
        (K.Clamp(), ref_clamp, 0),
        (K.ClampNonnegative(), ref_clamp_nonnegative, 0),
        (K.LeftNeighbor(), ref_left_neighbor, 1),
    ],
    ids=["SignFlip", "Clamp", "ClampNonnegative", "LeftNeighbor"],
)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_shipped_kernels_match_numpy(kernel, reference, radius, shape):
    assert kernel.radius == radius and kernel.contract_proven
    for seed in range(3):
        x = random_field(shape, sparsity=0.3 * seed, seed=seed)
        expected = reference(x)
        np.testing.assert_array_equal(dc.apply_kernel(kernel, x), expected)
        np.testing.assert_array_equal(dc.run_kernel_parallel(kernel, x, block_elems=7), expected)


def test_majority_table_entries():
    table = K.Totalistic2D.majority_table()
    assert table.dtype == np.int8 and table.shape == (3, 17)
    for x in (-1, 0, 1):
        for n in range(-8, 9):
            assert table[x + 1, n + 8] == (0 if x == 0 else np.sign(x + n)), (x, n)
    table[0, 0] = 0  # a new array each call: writing to it changes no later table
    assert K.Totalistic2D.majority_table()[0, 0] == -1


@pytest.mark.parametrize("shape", [(1, 1), (2, 70), (64, 64), (123, 257)], ids=str)
def test_majority_matches_numpy_and_is_one_totalistic_table(shape):
    rule = K.Totalistic2D(K.Totalistic2D.majority_table())
    for sparsity in (0.0, 0.4, 0.8):
        x = random_field(shape, sparsity, seed=shape[1])
        expected = ref_majority(x)
        np.testing.assert_array_equal(dc.run_kernel_parallel(K.Majority3x3(), x), expected)
        np.testing.assert_array_equal(dc.run_kernel_parallel(rule, x, block_elems=500), expected)


@pytest.mark.parametrize("radius", [1, 2, 3])
@pytest.mark.parametrize("shape", [(0,), (1,), (2,), (7,), (100,), (4099,), (9, 70), (5, 3, 7),
                                   (3, 2, 3, 4)], ids=str)
def test_rule1d_matches_numpy(radius, shape):
    for seed in range(3):
        table = random_rule1d_table(radius, seed)
        rule = K.Rule1D(table, radius)
        assert rule.radius == radius and rule.contract_proven
        np.testing.assert_array_equal(rule.table, table)
        x = random_field(shape, 0.3, seed + 10)
        expected = ref_rule1d(table, radius, x)
        np.testing.assert_array_equal(dc.apply_kernel(rule, x), expected)
        np.testing.assert_array_equal(
            dc.run_kernel_parallel(rule, x, block_elems=13, num_workers=3), expected
        )


def test_rule1d_infers_its_radius_from_the_table():
    assert K.Rule1D(np.zeros(243, dtype=np.int8)).radius == 2
    assert K.Rule1D([0] * 27).radius == 1


@pytest.mark.parametrize("shape", [(0, 5), (1, 1), (3, 34), (40, 67), (130, 200)], ids=str)
def test_totalistic_matches_numpy(shape):
    for seed in range(3):
        table = random_totalistic_table(seed)
        rule = K.Totalistic2D(table)
        np.testing.assert_array_equal(rule.table, table)
        x = random_field(shape, 0.3, seed)
        expected = ref_totalistic(table, x)
        np.testing.assert_array_equal(dc.run_kernel_parallel(rule, x, block_elems=300), expected)
    flat = K.Totalistic2D(table.reshape(-1))
    np.testing.assert_array_equal(dc.apply_kernel(flat, x), expected)


def test_rule_tables_are_refused_naming_the_entry():
    table = random_rule1d_table(1, 0)
    bad = table.copy()
    bad[13] = 1  # the all-zero neighbourhood: would create support
    with pytest.raises(ValueError, match=r"table entry 13 .*create support"):
        K.Rule1D(bad, 1)
    bad = table.copy().astype(int)
    bad[2] = 2
    with pytest.raises(ValueError, match=r"table entry 2 .*not a trit"):
        K.Rule1D(bad, 1)
    bad[2] = 300
    with pytest.raises(ValueError, match="table entry 2"):
        K.Rule1D(bad, 1)
    with pytest.raises(ValueError, match="26 entries"):
        K.Rule1D(table[:26], 1)
    with pytest.raises(ValueError, match="radius"):
        K.Rule1D(table, 4)
    with pytest.raises(ValueError):
        K.Rule1D(np.zeros((3, 9), dtype=np.int8), 1)
    total = random_totalistic_table(1)
    total[1, 4] = -1
    with pytest.raises(ValueError, match=r"table entry 21 .*create support"):
        K.Totalistic2D(total)
    with pytest.raises(ValueError, match=r"\(3, 17\)"):
        K.Totalistic2D(np.zeros((17, 3), dtype=np.int8))
    rule = K.Totalistic2D(K.Totalistic2D.majority_table())
    with pytest.raises(ValueError):
        dc.run_kernel_parallel(rule, random_field(10))


def test_compose_applies_in_order_with_summed_radius():
    x = random_field((200, 9), seed=7)
    k = dc.compose(K.LeftNeighbor(), K.SignFlip(), K.LeftNeighbor())
    assert k.radius == 2 and k.contract_proven
    expected = ref_left_neighbor(ref_sign_flip(ref_left_neighbor(x)))
    for block in (1, 9, 100, 0):
        np.testing.assert_array_equal(dc.run_kernel_parallel(k, x, block_elems=block), expected)
    with pytest.raises(ValueError):
        dc.compose()
    mixed = dc.compose(K.SignFlip(), dc.PythonKernel(lambda b: b, 1))
    assert mixed.radius == 1 and not mixed.contract_proven
    np.testing.assert_array_equal(dc.run_kernel_parallel(mixed, x, block_elems=50), -x)


def _periodic_reference(kernel, x, radius):
    """The kernel on x padded periodically by `radius` along axis 0, cropped back."""
    rows = x.shape[0]
    padded = np.take(x, np.arange(-radius, rows + radius) % rows, axis=0)
    return dc.apply_kernel(kernel, np.ascontiguousarray(padded))[radius:radius + rows]


@pytest.mark.parametrize("x", [np.array([1, -1], np.int8), np.array([1], np.int8),
                               np.array([[1, 0, -1], [-1, 1, 1]], np.int8)], ids=str)
def test_runtime_radius_periodic_on_fewer_rows_than_the_radius(x):
    rng = np.random.default_rng(3)
    table = rng.integers(-1, 2, size=3 ** 7).astype(np.int8)
    centre = (np.arange(3 ** 7) // 27) % 3 == 1
    table[centre] = 0
    kernel = dc.compose(dc.kernels.SignFlip(), dc.kernels.Rule1D(table, 3))
    assert kernel.radius == 3
    expected = _periodic_reference(kernel, x, 3)
    np.testing.assert_array_equal(dc.run_kernel_parallel(kernel, x, boundary="periodic"), expected)
    packed = dc.pq.run_kernel_parallel(kernel, dc.pq.encode(x), boundary="periodic")
    np.testing.assert_array_equal(dc.pq.decode(packed), expected)
    stepped = x
    for _ in range(3):
        stepped = _periodic_reference(kernel, stepped, 3)
    np.testing.assert_array_equal(dc.run_kernel_iterated(kernel, x, 3, boundary="periodic"),
                                  stepped)
