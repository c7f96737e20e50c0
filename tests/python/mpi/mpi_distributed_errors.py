# SPDX-License-Identifier: Apache-2.0
"""dashicore.distributed's errors under mpiexec (1 to 3 ranks): an argument refused on some
rank raises the same exception on every rank (never a hang); a kernel failure raises on the
owning rank and RemoteError (rank, block, message) on the others; the layout stays usable."""

import numpy as np
import pytest
from conftest import random_field
from distributed_support import COMM, RANK, SIZE, raised, rows_of, same_bytes, same_on_every_rank

import dashicore as dc
from dashicore import distributed as dd

LAST = SIZE - 1


@pytest.fixture
def layout():
    return dd.SlabLayout(COMM, (30, 6))


@pytest.fixture
def whole():
    return random_field((30, 6), seed=21)


def assert_everywhere(kind, call, *fragments):
    """``call()`` raises ``kind`` with the same message on every rank, containing ``fragments``."""
    name, message, error = raised(call)
    assert isinstance(error, kind), (name, message)
    assert same_on_every_rank((name, message)), message
    for fragment in fragments:
        assert fragment in message, message


def still_usable(layout, whole):
    got = dd.run_kernel_distributed(layout, dc.kernels.Majority3x3(), rows_of(layout, whole).copy())
    assert same_bytes(got, rows_of(layout, dc.run_kernel_parallel(dc.kernels.Majority3x3(), whole)))


def test_a_slab_of_the_wrong_shape_on_the_last_rank_is_a_value_error_everywhere(layout, whole):
    local = rows_of(layout, whole).copy()
    if RANK == LAST:
        local = local[1:].copy()
    assert_everywhere(ValueError,
                      lambda: dd.run_kernel_distributed(layout, dc.kernels.SignFlip(), local),
                      f"rank {LAST} passed a slab of shape")
    still_usable(layout, whole)


def test_a_wrong_dtype_on_the_last_rank_is_a_type_error_everywhere(layout, whole):
    local = rows_of(layout, whole).copy()
    if RANK == LAST:
        local = local.astype(np.int16)
    assert_everywhere(TypeError,
                      lambda: dd.run_kernel_distributed(layout, dc.kernels.SignFlip(), local),
                      "expected an int8 array")
    still_usable(layout, whole)


def test_a_non_trit_on_the_last_rank_is_a_carrier_error_everywhere(layout, whole):
    local = rows_of(layout, whole).copy()
    if RANK == LAST:
        local[-1, 2] = 3
    global_index = 29 * 6 + 2
    assert_everywhere(dc.CarrierError,
                      lambda: dd.run_kernel_iterated_distributed(
                          layout, dc.kernels.LeftNeighbor(), local, 2),
                      f"at global index {global_index}", "is not a trit")
    for call in (lambda: dd.gather(layout, local),
                 lambda: dd.defect_aggregate(layout, local, local),
                 lambda: dd.run_kernel_distributed(layout, dc.kernels.SignFlip(), local,
                                                   check_contract=False)):
        assert_everywhere(dc.CarrierError, call, f"at global index {global_index}")
    still_usable(layout, whole)


@pytest.mark.parametrize(
    "options,fragment",
    [
        ({"halo": 0}, "below the kernel's radius 1"),
        ({"halo": 2**70}, "halo must be in [0, 2**63)"),
        ({"num_workers": -1}, "num_workers must be in [0, 2**63)"),
        ({"boundary": "mirror"}, 'boundary must be "clip" or "periodic"'),
    ],
)
def test_bad_options_are_value_errors_everywhere(layout, whole, options, fragment):
    local = rows_of(layout, whole).copy()
    assert_everywhere(ValueError,
                      lambda: dd.run_kernel_distributed(layout, dc.kernels.Majority3x3(), local,
                                                        **options), fragment)
    still_usable(layout, whole)


@pytest.mark.parametrize(
    "steps,options,fragment",
    [
        (3, {"steps_per_sync": 0}, "steps_per_sync must be at least 1"),
        (2**70, {}, "steps must be in [0, 2**63)"),
        ("3", {}, "steps must be an int"),
    ],
)
def test_bad_iteration_arguments_raise_everywhere(layout, whole, steps, options, fragment):
    local = rows_of(layout, whole).copy()
    kind = TypeError if isinstance(steps, str) else ValueError
    assert_everywhere(kind,
                      lambda: dd.run_kernel_iterated_distributed(layout, dc.kernels.Majority3x3(),
                                                                 local, steps, **options),
                      fragment)


def test_an_option_differing_between_ranks_is_a_value_error_everywhere(layout, whole):
    if SIZE == 1:
        pytest.skip("needs two ranks")
    local = rows_of(layout, whole).copy()
    boundary = "periodic" if RANK == LAST else "clip"
    assert_everywhere(ValueError,
                      lambda: dd.run_kernel_distributed(layout, dc.kernels.Majority3x3(), local,
                                                        boundary=boundary),
                      "the boundary differs between ranks")


def test_a_slab_thinner_than_the_halo_is_a_value_error_everywhere(whole):
    # Two steps per synchronisation need two halo rows from every rank: from the 1-row ranks
    # (several ranks), or across the periodic boundary from the only rank's only row.
    rows = 30 if SIZE > 1 else 1
    layout = dd.SlabLayout(COMM, (rows, 6), [1] * (SIZE - 1) + [rows - (SIZE - 1)])
    local = rows_of(layout, whole[:rows]).copy()
    boundary = "clip" if SIZE > 1 else "periodic"
    assert_everywhere(ValueError,
                      lambda: dd.run_kernel_iterated_distributed(
                          layout, dc.kernels.Majority3x3(), local, 4, steps_per_sync=2,
                          boundary=boundary),
                      "owns 1 rows, fewer than the 2 halo rows")


def test_layout_arguments_are_agreed():
    assert_everywhere(ValueError,
                      lambda: dd.SlabLayout(COMM, (10, 3), [3] * SIZE),
                      "rows_per_rank adds up to")
    shape = (11, 3) if RANK == LAST else (10, 3)
    if SIZE > 1:
        assert_everywhere(ValueError, lambda: dd.SlabLayout(COMM, shape),
                          "the global shape differs between ranks")
    bad = (-1, 3) if RANK == LAST else (10, 3)
    assert_everywhere(ValueError, lambda: dd.SlabLayout(COMM, bad), "extents must be >= 0")
    assert_everywhere(TypeError, lambda: dd.SlabLayout(COMM, (10, 3), [1.5] * SIZE),
                      "rows_per_rank entries must be an int")


def test_scatter_with_a_bad_root_is_a_value_error_everywhere(layout, whole):
    assert_everywhere(ValueError, lambda: dd.scatter(layout, whole, root=SIZE),
                      f"root {SIZE} is not a rank")
    wrong = random_field((29, 6), seed=1)
    assert_everywhere(ValueError, lambda: dd.scatter(layout, wrong if RANK == 0 else None),
                      "the root's field has shape")


def test_a_python_kernel_failing_on_the_last_rank(layout, whole):
    def fails_on_last_rank(block):
        if RANK == LAST:
            raise KeyError("no such site")
        return block

    local = rows_of(layout, whole).copy()
    name, message, error = raised(lambda: dd.run_kernel_distributed(
        layout, dc.PythonKernel(fails_on_last_rank), local, block_elems=6))
    if RANK == LAST:
        assert isinstance(error, KeyError), (name, message)
    else:
        assert isinstance(error, dd.RemoteError) and isinstance(error, RuntimeError), message
        assert error.rank == LAST and error.block == 0
        assert "no such site" in error.message and f"rank {LAST} failed in block 0" in message
    still_usable(layout, whole)


def test_when_every_rank_fails_the_lowest_rank_wins(layout, whole):
    def fails(block):
        raise ZeroDivisionError(f"from rank {RANK}")

    local = rows_of(layout, whole).copy()
    name, message, error = raised(lambda: dd.run_kernel_distributed(
        layout, dc.PythonKernel(fails), local, num_workers=1))
    if RANK == 0:
        assert isinstance(error, ZeroDivisionError), (name, message)
    else:
        assert isinstance(error, dd.RemoteError), (name, message)
        assert error.rank == 0 and error.block == 0 and "from rank 0" in error.message
    still_usable(layout, whole)


def test_a_contract_breach_raises_on_the_owning_rank(layout, whole):
    local = rows_of(layout, whole).copy()
    creates_support = dc.PythonKernel(lambda block: np.ones_like(block))
    name, message, error = raised(lambda: dd.run_kernel_distributed(layout, creates_support,
                                                                    local))
    if RANK == 0:
        assert isinstance(error, dc.KernelContractError), (name, message)
    else:
        assert isinstance(error, dd.RemoteError) and error.rank == 0, (name, message)
    still_usable(layout, whole)


def test_an_exception_without_a_message_on_the_last_rank_is_still_agreed(layout, whole):
    class RadiusFails:
        """An upstream-style kernel whose radius cannot be read (a bare ValueError)."""

        @property
        def radius(self):
            raise ValueError()

        def apply(self, carrier):
            return carrier

    kernel = RadiusFails() if RANK == LAST else dc.kernels.SignFlip()
    local = rows_of(layout, whole).copy()
    assert_everywhere(ValueError, lambda: dd.run_kernel_distributed(layout, kernel, local),
                      "an argument was refused (by an exception without a message)")
    still_usable(layout, whole)


def test_not_a_communicator_is_a_type_error():
    name, message, error = raised(lambda: dd.SlabLayout(object(), (4,)))
    assert isinstance(error, TypeError), (name, message)
