# SPDX-License-Identifier: Apache-2.0
"""dashicore.distributed's PQ-FS files under mpiexec (1 to 3 ranks): write_file writes the
bytes dashicore.pq.write_file writes for the whole field; read_slab reads each rank's rows of
any file; errors are agreed."""

import os

import numpy as np
import pytest
from conftest import random_field
from distributed_support import (
    COMM, RANK, SIZE, SharedDirectory, path_in, raised, rows_of, same_bytes, same_on_every_rank)

import dashicore as dc
from dashicore import distributed as dd


@pytest.mark.parametrize("shape,sb_bytes", [((300, 41), 4096), ((1000,), 262144), ((7, 3, 5), 8192)])
def test_write_file_is_byte_identical_to_the_one_process_writer(shape, sb_bytes):
    whole = random_field(shape, sparsity=0.6, seed=shape[0])
    with SharedDirectory() as directory:
        distributed = path_in(directory, "distributed.pqfs")
        layout = dd.SlabLayout(COMM, shape)
        dd.write_file(layout, distributed, rows_of(layout, whole).copy(), sb_bytes=sb_bytes)
        if RANK == 0:
            single = path_in(directory, "single.pqfs")
            dc.pq.write_file(single, whole, sb_bytes=sb_bytes)
            with open(single, "rb") as a, open(distributed, "rb") as b:
                assert a.read() == b.read()
        COMM.Barrier()
        slab = dd.read_slab(layout, distributed)
        assert same_bytes(slab, rows_of(layout, whole))
        # Another split reads the same file.
        other = dd.SlabLayout(COMM, shape, [0] * (SIZE - 1) + [shape[0]])
        assert same_bytes(dd.read_slab(other, distributed), rows_of(other, whole))


def test_read_slab_of_a_file_of_another_shape_is_a_value_error_everywhere():
    whole = random_field((20, 4), seed=3)
    with SharedDirectory() as directory:
        path = path_in(directory, "f.pqfs")
        if RANK == 0:
            dc.pq.write_file(path, whole)
        COMM.Barrier()
        layout = dd.SlabLayout(COMM, (21, 4))
        name, message, error = raised(lambda: dd.read_slab(layout, path))
        assert isinstance(error, ValueError) and "holds a field of shape (20, 4)" in message
        assert same_on_every_rank(message)


def test_read_slab_of_a_missing_file_raises_on_rank_0_and_remote_error_elsewhere():
    with SharedDirectory() as directory:
        layout = dd.SlabLayout(COMM, (8,))
        path = path_in(directory, "missing.pqfs")
        name, message, error = raised(lambda: dd.read_slab(layout, path))
        if RANK == 0:
            assert isinstance(error, OSError), (name, message)
        else:
            assert isinstance(error, dd.RemoteError) and error.rank == 0, (name, message)


def test_write_file_errors_are_agreed_and_leave_no_file():
    whole = random_field((20, 4), seed=5)
    with SharedDirectory() as directory:
        layout = dd.SlabLayout(COMM, whole.shape)
        local = rows_of(layout, whole).copy()
        path = path_in(directory, "out.pqfs")
        name, message, error = raised(lambda: dd.write_file(layout, path, local, sb_bytes=1000))
        assert isinstance(error, ValueError) and same_on_every_rank(message), message
        if SIZE > 1:
            mine = path if RANK == 0 else path_in(directory, "other.pqfs")
            name, message, error = raised(lambda: dd.write_file(layout, mine, local))
            assert isinstance(error, ValueError) and "the path differs between ranks" in message
        bad = local.copy()
        if RANK == SIZE - 1:
            bad[0, 0] = -2
        name, message, error = raised(lambda: dd.write_file(layout, path, bad))
        assert isinstance(error, dc.CarrierError) and same_on_every_rank(message), message
        COMM.Barrier()
        assert os.listdir(directory) == []
        dd.write_file(layout, path, local)
        assert same_bytes(dd.read_slab(layout, path), local)
