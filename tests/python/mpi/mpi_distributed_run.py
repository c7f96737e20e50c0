# SPDX-License-Identifier: Apache-2.0
"""dashicore.distributed under mpiexec (1 to 3 ranks): every rank's result is byte-identical
to the matching rows of the one-process result on the whole field, for several kernels,
splits and options; scatter, gather and defect_aggregate agree with the whole field."""

import numpy as np
import pytest
from conftest import random_field, random_rule1d_table
from distributed_support import COMM, RANK, SIZE, rows_of, same_bytes, uneven_split

import dashicore as dc
from dashicore import distributed as dd


def left_neighbor_numpy(block):
    left = np.concatenate([np.zeros_like(block[:1]), block[:-1]], axis=0)
    return np.where(block != 0, np.sign(block.astype(int) + left), 0).astype(np.int8)


# (name, kernel factory, shape): each kernel on a field of a rank it accepts.
KERNELS = [
    ("SignFlip", lambda: dc.kernels.SignFlip(), (41, 9)),
    ("Clamp", lambda: dc.kernels.Clamp(), (57,)),
    ("ClampNonnegative", lambda: dc.kernels.ClampNonnegative(), (13, 3, 4)),
    ("LeftNeighbor-1d", lambda: dc.kernels.LeftNeighbor(), (95,)),
    ("LeftNeighbor-4d", lambda: dc.kernels.LeftNeighbor(), (19, 2, 3, 2)),
    ("Majority3x3", lambda: dc.kernels.Majority3x3(), (37, 23)),
    ("Rule1D-r2", lambda: dc.kernels.Rule1D(random_rule1d_table(2, 5), 2), (64, 5)),
    ("Totalistic2D", lambda: dc.kernels.Totalistic2D(dc.kernels.Totalistic2D.majority_table()),
     (30, 11)),
    ("compose", lambda: dc.compose(dc.kernels.LeftNeighbor(), dc.kernels.Majority3x3()), (33, 8)),
    ("PythonKernel-r0", lambda: dc.PythonKernel(np.negative, radius=0), (29, 6)),
    ("PythonKernel-r1", lambda: dc.PythonKernel(left_neighbor_numpy, radius=1), (31, 4)),
]
KERNEL_IDS = [k[0] for k in KERNELS]

# Options of a single application (every rank passes the same ones).
OPTIONS = [
    {},
    {"num_workers": 1, "block_elems": 1},
    {"num_workers": 2, "block_elems": 40},
    {"boundary": "periodic", "block_elems": 64},
    {"halo": 3, "block_elems": 25},
    {"check_contract": False, "num_workers": 3},
]


def layouts(shape, radius_rows):
    """The balanced split and an uneven one (thin slabs first, still ``radius_rows`` thick)."""
    yield dd.SlabLayout(COMM, shape)
    rows = shape[0]
    if SIZE > 1:
        yield dd.SlabLayout(COMM, shape, uneven_split(rows, max(radius_rows, 1)))


@pytest.mark.parametrize("name,make,shape", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("options", OPTIONS)
def test_run_kernel_distributed_equals_one_process(name, make, shape, options):
    kernel = make()
    whole = random_field(shape, seed=len(name))
    expected = dc.run_kernel_parallel(kernel, whole, **options)
    halo = max(kernel.radius, options.get("halo", 0))
    for layout in layouts(shape, halo):
        local = np.ascontiguousarray(rows_of(layout, whole))
        got = dd.run_kernel_distributed(layout, kernel, local, **options)
        assert same_bytes(got, rows_of(layout, expected)), (name, options, layout.rank)
        whole_result = dd.gather(layout, got, root=SIZE - 1)
        if RANK == SIZE - 1:
            assert same_bytes(whole_result, expected)
        else:
            assert whole_result is None


@pytest.mark.parametrize("name,make,shape", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize(
    "steps,options",
    [
        (0, {}),
        (1, {"block_elems": 30}),
        (5, {"steps_per_sync": 1, "num_workers": 2}),
        (5, {"steps_per_sync": 2, "block_elems": 50}),
        (7, {"steps_per_sync": 3, "boundary": "periodic"}),
    ],
)
def test_run_kernel_iterated_distributed_equals_one_process(name, make, shape, steps, options):
    kernel = make()
    whole = random_field(shape, seed=3 + len(name))
    expected = dc.run_kernel_iterated(kernel, whole, steps, **options)
    depth = kernel.radius * min(steps, options.get("steps_per_sync", 1))
    for layout in layouts(shape, depth):
        local = np.ascontiguousarray(rows_of(layout, whole))
        got = dd.run_kernel_iterated_distributed(layout, kernel, local, steps, **options)
        assert same_bytes(got, rows_of(layout, expected)), (name, steps, options, layout.rank)


def test_layout_describes_the_split():
    layout = dd.SlabLayout(COMM, (10, 3))
    assert layout.comm is COMM
    assert (layout.rank, layout.size) == (RANK, SIZE)
    assert layout.global_shape == (10, 3)
    assert layout.local_shape == (layout.row_count(), 3)
    counts = [layout.row_count(r) for r in range(SIZE)]
    firsts = [layout.first_row(r) for r in range(SIZE)]
    assert sum(counts) == 10 and firsts[0] == 0
    assert all(firsts[r] + counts[r] == firsts[r + 1] for r in range(SIZE - 1))
    assert counts == [10 * (r + 1) // SIZE - 10 * r // SIZE for r in range(SIZE)]
    assert layout.owner_of_row(9) == SIZE - 1
    for bad in (-1, SIZE):
        with pytest.raises(IndexError, match=f"rank {bad} is not a rank of the {SIZE} ranks"):
            layout.first_row(bad)
        with pytest.raises(IndexError, match=f"rank {bad} is not a rank"):
            layout.row_count(bad)
    with pytest.raises(IndexError, match="row 10 is not below the 10 rows"):
        layout.owner_of_row(10)
    split = dd.SlabLayout(COMM, (10, 3), rows_per_rank=[0] * (SIZE - 1) + [10])
    assert split.row_count() == (10 if RANK == SIZE - 1 else 0)
    assert split.local_shape == (split.row_count(), 3)


def test_scatter_then_gather_round_trips_on_every_root():
    whole = random_field((23, 5), seed=11)
    layout = dd.SlabLayout(COMM, whole.shape)
    for root in range(SIZE):
        local = dd.scatter(layout, whole if RANK == root else None, root=root)
        assert same_bytes(local, rows_of(layout, whole))
        back = dd.gather(layout, local, root=root)
        if RANK == root:
            assert same_bytes(back, whole)
        else:
            assert back is None


def test_defect_aggregate_is_the_whole_fields_on_every_rank():
    pre = random_field((40, 7), seed=1)
    post = random_field((40, 7), seed=2)
    layout = dd.SlabLayout(COMM, pre.shape)
    total = dd.defect_aggregate(layout, rows_of(layout, pre).copy(), rows_of(layout, post).copy())
    assert total == dc.defect_aggregate(pre, post)
    assert COMM.allgather(total) == [total] * SIZE


def test_carrier_like_slab_comes_back_as_its_type():
    from dashicore._carrier import BlockCarrier

    whole = random_field((21, 4), seed=4)
    layout = dd.SlabLayout(COMM, whole.shape)
    rows = rows_of(layout, whole).copy()
    carrier = BlockCarrier(support=rows != 0, sign=rows)
    got = dd.run_kernel_distributed(layout, dc.kernels.LeftNeighbor(), carrier)
    assert isinstance(got, BlockCarrier)
    expected = dc.run_kernel_parallel(dc.kernels.LeftNeighbor(), whole)
    assert same_bytes(np.ascontiguousarray(got.sign), rows_of(layout, expected))


def test_plain_callable_and_upstream_kernel_are_accepted(upstream_left_neighbor):
    from dashicore._carrier import BlockCarrier

    whole = random_field((26,), seed=8)
    layout = dd.SlabLayout(COMM, whole.shape)
    local = rows_of(layout, whole).copy()
    got = dd.run_kernel_distributed(layout, np.negative, local)
    assert same_bytes(got, rows_of(layout, -whole))
    upstream = upstream_left_neighbor(BlockCarrier)
    got = dd.run_kernel_distributed(layout, upstream, local)
    expected = dc.run_kernel_parallel(upstream, whole)
    assert same_bytes(got, rows_of(layout, expected))


def test_empty_field():
    layout = dd.SlabLayout(COMM, (0, 4))
    local = np.zeros((0, 4), dtype=np.int8)
    got = dd.run_kernel_iterated_distributed(layout, dc.kernels.Majority3x3(), local, 3)
    assert got.shape == (0, 4)
